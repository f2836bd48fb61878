namespace GgufPs.Conversion;

/// <summary>
/// GemmaForCausalLM to gemma and Gemma2ForCausalLM to gemma2: norms stored as 1 + weight, the LM head tied to the
/// embeddings, a SentencePiece vocabulary; Gemma 2 adds its post-attention and post-feed-forward norms, logit
/// soft-capping and the sliding window.
/// </summary>
internal sealed class GemmaArchitecture : HfArchitecture
{
    private static readonly Dictionary<string, string> Gemma2BlockTensors = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["post_attention_layernorm"] = "post_attention_norm",
        ["pre_feedforward_layernorm"] = "ffn_norm",
        ["post_feedforward_layernorm"] = "post_ffw_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

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

    private GemmaArchitecture(bool gemma2)
    {
        IsGemma2 = gemma2;
        HfNames = gemma2 ? ["Gemma2ForCausalLM"] : ["GemmaForCausalLM"];
    }

    public static GemmaArchitecture Gemma { get; } = new(gemma2: false);

    public static GemmaArchitecture Gemma2 { get; } = new(gemma2: true);

    public bool IsGemma2 { get; }

    public override IReadOnlyList<string> HfNames { get; }

    public override string GgufName => IsGemma2 ? "gemma2" : "gemma";

    public override void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType)
    {
        string a = GgufName;
        long heads = config.RequireInteger("num_attention_heads");
        long headDim = config.FindInteger("head_dim") ?? 256;
        metadata.UInt32($"{a}.context_length", config.FindInteger("max_position_embeddings") ?? 8192);
        metadata.UInt32($"{a}.embedding_length", config.RequireInteger("hidden_size"));
        metadata.UInt32($"{a}.block_count", BlockCount(config));
        metadata.UInt32($"{a}.feed_forward_length", config.RequireInteger("intermediate_size"));
        metadata.UInt32($"{a}.attention.head_count", heads);
        metadata.UInt32($"{a}.attention.head_count_kv", config.FindInteger("num_key_value_heads") ?? heads);
        metadata.Float32($"{a}.attention.layer_norm_rms_epsilon", config.FindNumber("rms_norm_eps") ?? 1e-6);
        metadata.UInt32($"{a}.attention.key_length", headDim);
        metadata.UInt32($"{a}.attention.value_length", headDim);
        metadata.UInt32("general.file_type", (int)fileType);
        if (IsGemma2)
        {
            // transformers' Gemma2Config defaults: 50, 30 and 4096.
            metadata.Float32("gemma2.attn_logit_softcapping", config.FindNumber("attn_logit_softcapping") ?? 50.0);
            metadata.Float32("gemma2.final_logit_softcapping", config.FindNumber("final_logit_softcapping") ?? 30.0);
            metadata.UInt32("gemma2.attention.sliding_window", config.FindInteger("sliding_window") ?? 4096);
        }
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
            || !(IsGemma2 ? Gemma2BlockTensors : BlockTensors).TryGetValue(block.Name, out string? tensor))
        {
            throw Unmapped(name, HfNames[0]);
        }
        return ($"blk.{block.Block}.{tensor}.{block.Suffix}", shift, 0);
    }

    public override void WriteVocabulary(string folder, HfConfig config, GgufMetadataBuilder metadata, Action<string> warn)
    {
        if (!HfVocabularyWriter.TryWriteSentencePiece(folder, config.FindInteger("vocab_size"), metadata, warn))
        {
            throw new FileNotFoundException($"'{folder}' has no tokenizer.model, which {HfNames[0]}'s vocabulary is read from.", Path.Combine(folder, "tokenizer.model"));
        }
        if (IsGemma2)
        {
            metadata.Bool("tokenizer.ggml.add_space_prefix", false);
            return;
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
