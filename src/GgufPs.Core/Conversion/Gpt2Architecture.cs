namespace GgufPs.Conversion;

/// <summary>GPT2LMHeadModel to gpt2: Conv1D weights ([in, out]) transposed to ggml's [out, in] rows.</summary>
internal sealed class Gpt2Architecture : HfArchitecture
{
    private static readonly Dictionary<string, string> BlockTensors = new(StringComparer.Ordinal)
    {
        ["ln_1"] = "attn_norm",
        ["attn.c_attn"] = "attn_qkv",
        ["attn.c_proj"] = "attn_output",
        ["ln_2"] = "ffn_norm",
        ["mlp.c_fc"] = "ffn_up",
        ["mlp.c_proj"] = "ffn_down",
    };

    public override IReadOnlyList<string> HfNames { get; } = ["GPT2LMHeadModel"];

    public override string GgufName => "gpt2";

    public override void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType)
    {
        long embd = config.FindInteger("n_embd") ?? 768;
        metadata.UInt32("gpt2.block_count", BlockCount(config));
        metadata.UInt32("gpt2.context_length", config.FindInteger("n_ctx", "n_positions") ?? 1024);
        metadata.UInt32("gpt2.embedding_length", embd);
        metadata.UInt32("gpt2.feed_forward_length", 4 * embd);
        metadata.UInt32("gpt2.attention.head_count", config.FindInteger("n_head") ?? 12);
        metadata.Float32("gpt2.attention.layer_norm_epsilon", config.FindNumber("layer_norm_epsilon") ?? 1e-5);
        metadata.UInt32("general.file_type", (int)fileType);
    }

    public override (string Name, TensorTransform Transform, int RopeHeads)? MapTensor(string name, long[] shape, HfConfig config)
    {
        string bare = name.StartsWith("transformer.", StringComparison.Ordinal) ? name["transformer.".Length..] : name;
        // The causal-mask buffers older checkpoints saved are not weights.
        if (bare.EndsWith(".attn.bias", StringComparison.Ordinal) || bare.EndsWith(".attn.masked_bias", StringComparison.Ordinal))
        {
            return null;
        }
        switch (bare)
        {
            case "wte.weight": return ("token_embd.weight", TensorTransform.None, 0);
            case "wpe.weight": return ("position_embd.weight", TensorTransform.None, 0);
            case "ln_f.weight": return ("output_norm.weight", TensorTransform.None, 0);
            case "ln_f.bias": return ("output_norm.bias", TensorTransform.None, 0);
            case "lm_head.weight": return ("output.weight", TensorTransform.None, 0);
        }
        if (SplitBlockName(bare, "h.") is not { } block || block.Block >= BlockCount(config)
            || !BlockTensors.TryGetValue(block.Name, out string? tensor))
        {
            throw Unmapped(name, HfNames[0]);
        }
        bool conv1d = block.Suffix == "weight" && block.Name is "attn.c_attn" or "attn.c_proj" or "mlp.c_fc" or "mlp.c_proj";
        return ($"blk.{block.Block}.{tensor}.{block.Suffix}", conv1d ? TensorTransform.Transpose : TensorTransform.None, 0);
    }

    public override void WriteVocabulary(string folder, HfConfig config, GgufMetadataBuilder metadata, Action<string> warn) =>
        HfVocabularyWriter.WriteGpt2(folder, config.FindInteger("vocab_size"), metadata, warn);
}
