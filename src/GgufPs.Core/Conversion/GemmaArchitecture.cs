namespace GgufPs.Conversion;

/// <summary>GemmaForCausalLM to gemma: norms stored as 1 + weight, the LM head tied to the embeddings, SentencePiece vocabulary.</summary>
public sealed class GemmaArchitecture : HfArchitecture
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

    public override IReadOnlyList<string> HfNames { get; } = ["GemmaForCausalLM"];

    public override string GgufName => "gemma";

    public override void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType)
    {
        long heads = config.RequireInteger("num_attention_heads");
        long headDim = config.FindInteger("head_dim") ?? 256;
        metadata.UInt32("gemma.context_length", config.FindInteger("max_position_embeddings") ?? 8192);
        metadata.UInt32("gemma.embedding_length", config.RequireInteger("hidden_size"));
        metadata.UInt32("gemma.block_count", BlockCount(config));
        metadata.UInt32("gemma.feed_forward_length", config.RequireInteger("intermediate_size"));
        metadata.UInt32("gemma.attention.head_count", heads);
        metadata.UInt32("gemma.attention.head_count_kv", config.FindInteger("num_key_value_heads") ?? heads);
        metadata.Float32("gemma.attention.layer_norm_rms_epsilon", config.FindNumber("rms_norm_eps") ?? 1e-6);
        metadata.UInt32("gemma.attention.key_length", headDim);
        metadata.UInt32("gemma.attention.value_length", headDim);
        metadata.UInt32("general.file_type", (int)fileType);
    }

    public override (string Name, TensorTransform Transform, int RopeHeads)? MapTensor(string name, long[] shape, HfConfig config)
    {
        // llama.cpp uses the embeddings as the LM head; a saved lm_head (autoawq does that) is dropped.
        if (name == "lm_head.weight" || name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
        {
            return null;
        }
        var shift = name.EndsWith("norm.weight", StringComparison.Ordinal) ? TensorTransform.AddOne : TensorTransform.None;
        switch (name)
        {
            case "model.embed_tokens.weight": return ("token_embd.weight", TensorTransform.None, 0);
            case "model.norm.weight": return ("output_norm.weight", shift, 0);
        }
        if (SplitBlockName(name, "model.layers.") is not { } block || block.Block >= BlockCount(config)
            || !BlockTensors.TryGetValue(block.Name, out string? tensor))
        {
            throw Unmapped(name, HfNames[0]);
        }
        return ($"blk.{block.Block}.{tensor}.{block.Suffix}", shift, 0);
    }

    public override void WriteVocabulary(string folder, HfConfig config, GgufMetadataBuilder metadata, Action<string> warn)
    {
        if (!HfVocabularyWriter.TryWriteSentencePiece(folder, config.FindInteger("vocab_size"), metadata, warn))
        {
            throw new FileNotFoundException($"'{folder}' has no tokenizer.model, which Gemma's vocabulary is read from.", Path.Combine(folder, "tokenizer.model"));
        }
        // CodeGemma's infill ids, as the converter sets them; gguf-py's writer keeps only eot.
        var codeGemma = new SpecialVocabulary(folder, HfVocabularyWriter.LoadTokenizerJsonIfPresent(folder), loadMerges: false, vocabularySize: null, warn,
            ["prefix", "suffix", "middle", "fsep", "eot"]);
        codeGemma.SetTokenId("prefix", 67);
        codeGemma.SetTokenId("suffix", 69);
        codeGemma.SetTokenId("middle", 68);
        codeGemma.SetTokenId("fsep", 70);
        codeGemma.SetTokenId("eot", 107);
        codeGemma.ChatTemplate = null;
        codeGemma.NamedChatTemplates.Clear();
        codeGemma.Write(metadata);
        metadata.Bool("tokenizer.ggml.add_space_prefix", false);
    }
}
