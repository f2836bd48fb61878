namespace GgufPs.Conversion;

/// <summary>LlamaForCausalLM and MistralForCausalLM to llama: Q/K rows permuted back to ggml's RoPE layout.</summary>
internal sealed class LlamaArchitecture : HfArchitecture
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

    public override IReadOnlyList<string> HfNames { get; } = ["LlamaForCausalLM", "MistralForCausalLM", "LLaMAForCausalLM"];

    public override string GgufName => "llama";

    public override void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType)
    {
        TextModelParameters.Write(metadata, GgufName, config, BlockCount(config), fileType, new(ContextLength: 2048, RmsNormEps: 1e-6, RopeTheta: 10000));
        metadata.UInt32("llama.vocab_size", config.FindInteger("vocab_size") ?? 32000);
        metadata.UInt32("llama.rope.dimension_count", RopeDimensions(config));
    }

    public override (string Name, TensorTransform Transform, int RopeHeads)? MapTensor(string name, long[] shape, HfConfig config)
    {
        if (name.StartsWith("language_model.", StringComparison.Ordinal))
        {
            name = name["language_model.".Length..];
        }
        if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || name.EndsWith(".attention.masked_bias", StringComparison.Ordinal))
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
        string ggufName = $"blk.{block.Block}.{tensor}.{block.Suffix}";
        int heads = (int)config.RequireInteger("num_attention_heads", "n_heads");
        return tensor switch
        {
            "attn_q" => (ggufName, TensorTransform.RopePermute, heads),
            "attn_k" => (ggufName, TensorTransform.RopePermute, (int)(config.FindInteger("num_key_value_heads", "n_kv_heads") ?? heads)),
            _ => (ggufName, TensorTransform.None, 0),
        };
    }

    /// <summary>llama3-type rope scaling: per-frequency factors in a rope_freqs tensor, computed as the converter does in float32.</summary>
    public override IEnumerable<(string Name, float[] Values)> ExtraTensors(HfConfig config)
    {
        var rope = TextModelParameters.RopeParameters(config);
        if (!rope.TryGetValue("rope_type", out var type) || type.ValueKind != System.Text.Json.JsonValueKind.String
            || !string.Equals(type.GetString(), "llama3", StringComparison.OrdinalIgnoreCase))
        {
            yield break;
        }
        double Get(string key, double fallback) => rope.TryGetValue(key, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number ? v.GetDouble() : fallback;
        float theta = (float)Get("rope_theta", config.FindNumber("rope_theta") ?? 10000.0);
        int dim = (int)RopeDimensions(config);
        float factor = (float)Get("factor", 8.0);
        float lowFreqFactor = (float)Get("low_freq_factor", 1.0);
        float highFreqFactor = (float)Get("high_freq_factor", 4.0);
        float oldContext = (float)(config.FindInteger("original_max_position_embeddings") ?? (long)Get("original_max_position_embeddings", 8192));
        float lowWavelength = oldContext / lowFreqFactor;
        float highWavelength = oldContext / highFreqFactor;
        var factors = new float[dim / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            float frequency = 1.0f / MathF.Pow(theta, (2 * i) / (float)dim);
            float wavelength = (float)(2 * Math.PI) / frequency;
            if (wavelength < highWavelength)
            {
                factors[i] = 1;
            }
            else if (wavelength > lowWavelength)
            {
                factors[i] = factor;
            }
            else
            {
                float smooth = (oldContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                factors[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        yield return ("rope_freqs.weight", factors);
    }

    public override void WriteVocabulary(string folder, HfConfig config, GgufMetadataBuilder metadata, Action<string> warn)
    {
        long? vocabSize = config.FindInteger("vocab_size");
        if (!HfVocabularyWriter.TryWriteSentencePiece(folder, vocabSize, metadata, warn)
            && !HfVocabularyWriter.TryWriteLlamaHf(folder, vocabSize, metadata, warn))
        {
            // Llama 3 and other byte-level BPE tokenizers.
            HfVocabularyWriter.WriteGpt2(folder, vocabSize, metadata, warn);
        }
        if (vocabSize == 32016)
        {
            // CodeLlama: the converter sets its infill ids, of which gguf-py's writer keeps only eot.
            var codeLlama = new SpecialVocabulary(folder, HfVocabularyWriter.LoadTokenizerJsonIfPresent(folder), loadMerges: false, vocabularySize: null, warn,
                ["prefix", "suffix", "middle", "eot"]);
            codeLlama.SetTokenId("prefix", 32007);
            codeLlama.SetTokenId("suffix", 32008);
            codeLlama.SetTokenId("middle", 32009);
            codeLlama.SetTokenId("eot", 32010);
            codeLlama.Write(metadata);
        }
        var tokenizerConfig = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        if (tokenizerConfig is not null && tokenizerConfig.TryGetValue("add_prefix_space", out var prefix)
            && prefix.ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
        {
            metadata.Bool("tokenizer.ggml.add_space_prefix", prefix.GetBoolean());
        }
        if (vocabSize == 49152)
        {
            // Granite's small models.
            metadata.Bool("tokenizer.ggml.add_bos_token", false);
        }
    }

    private static long RopeDimensions(HfConfig config) =>
        config.FindInteger("head_dim") ?? config.RequireInteger("hidden_size") / config.RequireInteger("num_attention_heads", "n_heads");
}
