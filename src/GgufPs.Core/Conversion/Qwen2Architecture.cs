namespace GgufPs.Conversion;

/// <summary>Qwen2ForCausalLM to qwen2: llama's tensor names plus Q/K/V biases, NeoX RoPE so no permutation.</summary>
internal sealed class Qwen2Architecture : HfArchitecture
{
    private static readonly Dictionary<string, string> BlockTensors = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    public override IReadOnlyList<string> HfNames { get; } = ["Qwen2ForCausalLM"];

    public override string GgufName => "qwen2";

    public override void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType) =>
        TextModelParameters.Write(metadata, GgufName, config, BlockCount(config), fileType, new(ContextLength: 32768, RmsNormEps: 1e-6, RopeTheta: 10000));

    public override (string Name, TensorTransform Transform, int RopeHeads)? MapTensor(string name, long[] shape, HfConfig config)
    {
        if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
        {
            return null;
        }
        switch (name)
        {
            case "model.embed_tokens.weight": return ("token_embd.weight", TensorTransform.None, 0);
            case "model.norm.weight": return ("output_norm.weight", TensorTransform.None, 0);
            case "lm_head.weight": return ("output.weight", TensorTransform.None, 0);
        }
        if (SplitBlockName(name, "model.layers.") is not { } block || block.Block >= BlockCount(config)
            || !BlockTensors.TryGetValue(block.Name, out string? tensor))
        {
            throw Unmapped(name, HfNames[0]);
        }
        return ($"blk.{block.Block}.{tensor}.{block.Suffix}", TensorTransform.None, 0);
    }

    public override void WriteVocabulary(string folder, HfConfig config, GgufMetadataBuilder metadata, Action<string> warn)
    {
        long? vocabSize = config.FindInteger("vocab_size");
        if (!HfVocabularyWriter.TryWriteSentencePiece(folder, vocabSize, metadata, warn))
        {
            HfVocabularyWriter.WriteGpt2(folder, vocabSize, metadata, warn);
        }
    }
}
