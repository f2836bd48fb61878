using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// Phi3ForCausalLM to phi3: fused qkv_proj and gate_up_proj kept fused (attn_qkv, ffn_up), NeoX RoPE (no
/// permutation), LongRoPE factors as rope_factors_long/short tensors, and Phi-3's own SentencePiece reading.
/// </summary>
internal sealed class Phi3Architecture : HfArchitecture
{
    private static readonly Dictionary<string, string> BlockTensors = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.qkv_proj"] = "attn_qkv",
        ["self_attn.o_proj"] = "attn_output",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    public override IReadOnlyList<string> HfNames { get; } = ["Phi3ForCausalLM"];

    public override string GgufName => "phi3";

    /// <summary>The converter writes the LongRoPE attention factor while generating the factor tensors, before general.*.</summary>
    public override void WriteEarlyParameters(GgufMetadataBuilder metadata, HfConfig config)
    {
        if (RopeScaling(config) is not { } scaling)
        {
            return;
        }
        double scale = (double)config.RequireInteger("max_position_embeddings", "n_positions") / config.RequireInteger("original_max_position_embeddings");
        long originalContext = config.RequireInteger("original_max_position_embeddings");
        double attnFactor = scaling.Type switch
        {
            "su" or "longrope" => scale > 1.0 ? Math.Sqrt(1 + Math.Log(scale) / Math.Log(originalContext)) : 1.0,
            "yarn" => scale > 1.0 ? 0.1 * Math.Log(scale) + 1.0 : 1.0,
            _ => throw new NotSupportedException($"The rope scaling type '{scaling.Type}' of '{config.Path}' is not supported for Phi-3."),
        };
        metadata.Float32("phi3.rope.scaling.attn_factor", attnFactor);
    }

    public override void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType)
    {
        long embd = config.RequireInteger("hidden_size", "n_embd");
        long heads = config.RequireInteger("num_attention_heads", "n_head");
        metadata.UInt32("phi3.context_length", config.RequireInteger("n_positions", "max_position_embeddings"));
        metadata.UInt32("phi3.rope.scaling.original_context_length", config.RequireInteger("original_max_position_embeddings"));
        metadata.UInt32("phi3.embedding_length", embd);
        metadata.UInt32("phi3.feed_forward_length", config.RequireInteger("intermediate_size"));
        metadata.UInt32("phi3.block_count", BlockCount(config));
        metadata.UInt32("phi3.attention.head_count", heads);
        metadata.UInt32("phi3.attention.head_count_kv", config.RequireInteger("num_key_value_heads", "n_head_kv"));
        metadata.Float32("phi3.attention.layer_norm_rms_epsilon", config.FindNumber("rms_norm_eps") ?? throw new ModelFormatException(config.Path, "it has no 'rms_norm_eps'"));
        metadata.UInt32("phi3.rope.dimension_count", RopeDimensions(config));
        metadata.Float32("phi3.rope.freq_base", config.FindNumber("rope_theta") ?? throw new ModelFormatException(config.Path, "it has no 'rope_theta'"));
        metadata.UInt32("general.file_type", (int)fileType);
        // Zero marks "no sliding window", which tells Phi-4 from the other Phi-3 models.
        metadata.UInt32("phi3.attention.sliding_window", config.FindInteger("sliding_window") ?? 0);
    }

    public override IEnumerable<(string Name, float[] Values)> ExtraTensors(HfConfig config)
    {
        if (RopeScaling(config) is not { } scaling)
        {
            yield break;
        }
        long dims = RopeDimensions(config);
        if (scaling.Long is null || scaling.Short is null)
        {
            throw new ModelFormatException(config.Path, "its rope_scaling lacks long_factor or short_factor");
        }
        if (scaling.Long.Length != scaling.Short.Length || scaling.Long.Length * 2 != dims)
        {
            throw new ModelFormatException(config.Path, $"its rope long and short factors must each have {dims / 2} values");
        }
        yield return ("rope_factors_long.weight", scaling.Long);
        yield return ("rope_factors_short.weight", scaling.Short);
    }

    public override (string Name, TensorTransform Transform, int RopeHeads)? MapTensor(string name, long[] shape, HfConfig config)
    {
        switch (name)
        {
            case "model.embed_tokens.weight": return ("token_embd.weight", TensorTransform.None, 0);
            case "model.norm.weight": return ("output_norm.weight", TensorTransform.None, 0);
            case "lm_head.weight": return ("output.weight", TensorTransform.None, 0);
        }
        if (name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
        {
            return null;
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
        var tokenizerConfig = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        if (tokenizerConfig is not null && tokenizerConfig.TryGetValue("tokenizer_class", out var c) && c.ValueKind == JsonValueKind.String
            && c.GetString() == "GPT2Tokenizer")
        {
            // Phi-4.
            HfVocabularyWriter.WriteGpt2(folder, config.FindInteger("vocab_size"), metadata, warn);
            return;
        }
        if (!HfVocabularyWriter.TryWriteSentencePiece(folder, config.FindInteger("vocab_size"), metadata, warn, phi3AddedTokens: true))
        {
            throw new FileNotFoundException($"'{folder}' has no tokenizer.model, which Phi-3's vocabulary is read from.", Path.Combine(folder, "tokenizer.model"));
        }
    }

    private static long RopeDimensions(HfConfig config)
    {
        double fraction = config.FindNumber("partial_rotary_factor") ?? 1.0;
        return (long)(fraction * config.RequireInteger("hidden_size", "n_embd")) / config.RequireInteger("num_attention_heads", "n_head");
    }

    private static (string Type, float[]? Long, float[]? Short)? RopeScaling(HfConfig config)
    {
        if (config.Get("rope_scaling") is not { ValueKind: JsonValueKind.Object } s)
        {
            return null;
        }
        string type = (s.TryGetProperty("rope_type", out var t) || s.TryGetProperty("type", out t)) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!.ToLowerInvariant()
            : throw new ModelFormatException(config.Path, "its rope_scaling has no type");
        float[]? Read(string key) => s.TryGetProperty(key, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()
            : null;
        return (type, Read("long_factor"), Read("short_factor"));
    }
}
