namespace GgufPs;

/// <summary>
/// A model's hyperparameters, read from its {architecture}.* metadata with the defaults llama.cpp's
/// llama_model::load_hparams gives absent keys. The one reader behind Get-GgufInfo, the quantization type mix and the
/// inference engine. It never throws: a key llama.cpp requires is null when absent, and each user validates what it
/// needs.
/// </summary>
internal sealed class ModelHyperparameters
{
    /// <summary>general.architecture, or null.</summary>
    public string? Architecture { get; private init; }

    /// <summary>n_ctx_train.</summary>
    public long? ContextLength { get; private init; }

    public long? EmbeddingLength { get; private init; }

    /// <summary>n_layer.</summary>
    public long? BlockCount { get; private init; }

    /// <summary>Layer 0's, when the file gives one per layer (llama.cpp's n_ff()).</summary>
    public long? FeedForwardLength { get; private init; }

    /// <summary>Layer 0's, when the file gives one per layer (llama.cpp's n_head()).</summary>
    public long? HeadCount { get; private init; }

    /// <summary>Layer 0's; the head count when the key is absent.</summary>
    public long? HeadCountKv { get; private init; }

    /// <summary>Whether head_count, head_count_kv or feed_forward_length differ between layers.</summary>
    public bool VariesPerLayer { get; private init; }

    /// <summary>0 for a dense model.</summary>
    public long ExpertCount { get; private init; }

    /// <summary>n_embd_head_k: attention.key_length, else the embedding length over the head count.</summary>
    public long? KeyLength { get; private init; }

    /// <summary>n_embd_head_v: attention.value_length, else the embedding length over the head count (not the key length).</summary>
    public long? ValueLength { get; private init; }

    /// <summary>n_rot: rope.dimension_count, else the key length.</summary>
    public long? RopeDimensionCount { get; private init; }

    // The floats below are float in llama_hparams too; the scale is divided in float as llama.cpp divides it.
    public float RopeFrequencyBase { get; private init; }

    public string RopeScalingType { get; private init; } = "linear";

    /// <summary>1 / rope.scaling.factor (or the older rope.scale_linear); 1 when neither is set or it is 0.</summary>
    public float RopeFrequencyScale { get; private init; }

    /// <summary>attention.layer_norm_rms_epsilon, which RMSNorm architectures (llama, qwen2) require.</summary>
    public float? RmsNormEpsilon { get; private init; }

    /// <summary>attention.layer_norm_epsilon, which LayerNorm architectures (gpt2) require.</summary>
    public float? LayerNormEpsilon { get; private init; }

    /// <summary>{arch}.vocab_size, else the length of tokenizer.ggml.tokens.</summary>
    public long? VocabularySize { get; private init; }

    /// <summary>hparams.n_gqa(): query heads per KV head (layer 0); 0 when the model declares no KV heads.</summary>
    public int GroupedQueryFactor => HeadCountKv is > 0 && HeadCount is { } heads ? (int)(heads / HeadCountKv.Value) : 0;

    /// <summary>
    /// llama.cpp's LLM_TYPE_70B, which gives attn_v more bits: 80 layers of a deci, qwen2 or olmo model, or of a llama
    /// with grouped-query attention (without it, a llama of 80 layers is LLM_TYPE_65B).
    /// </summary>
    public bool Is70B => BlockCount == 80 && (Architecture is "deci" or "qwen2" or "olmo" || (Architecture == "llama" && HeadCount != HeadCountKv));

    public bool IsFalcon => Architecture == "falcon";

    public static ModelHyperparameters From(GgufMetadataCollection metadata)
    {
        string? architecture = metadata.GetString("general.architecture");
        string prefix = (architecture ?? "") + ".";
        long? embedding = metadata.GetInteger(prefix + "embedding_length");
        var feedForward = PerLayer(metadata, prefix + "feed_forward_length");
        var heads = PerLayer(metadata, prefix + "attention.head_count");
        var kvHeads = PerLayer(metadata, prefix + "attention.head_count_kv");
        if (kvHeads.First is null)
        {
            kvHeads = heads;
        }
        // As llama.cpp: head sizes only for a model with attention heads, each defaulting to n_embd / n_head.
        long? keyLength = null, valueLength = null, rot = null;
        if (heads.First is > 0 and var headCount)
        {
            long? perHead = embedding / headCount;
            keyLength = metadata.GetInteger(prefix + "attention.key_length") ?? perHead;
            valueLength = metadata.GetInteger(prefix + "attention.value_length") ?? perHead;
            rot = metadata.GetInteger(prefix + "rope.dimension_count") ?? keyLength;
        }
        double factor = metadata.GetNumber(prefix + "rope.scaling.factor") ?? metadata.GetNumber(prefix + "rope.scale_linear") ?? 0.0;
        return new ModelHyperparameters
        {
            Architecture = architecture,
            ContextLength = metadata.GetInteger(prefix + "context_length"),
            EmbeddingLength = embedding,
            BlockCount = metadata.GetInteger(prefix + "block_count"),
            FeedForwardLength = feedForward.First,
            HeadCount = heads.First,
            HeadCountKv = kvHeads.First,
            VariesPerLayer = feedForward.Varies || heads.Varies || kvHeads.Varies,
            ExpertCount = metadata.GetInteger(prefix + "expert_count") ?? 0,
            KeyLength = keyLength,
            ValueLength = valueLength,
            RopeDimensionCount = rot,
            RopeFrequencyBase = (float)(metadata.GetNumber(prefix + "rope.freq_base") ?? 10000.0),
            RopeScalingType = metadata.GetString(prefix + "rope.scaling.type") ?? "linear",
            RopeFrequencyScale = factor == 0 ? 1.0f : 1.0f / (float)factor,
            RmsNormEpsilon = (float?)metadata.GetNumber(prefix + "attention.layer_norm_rms_epsilon"),
            LayerNormEpsilon = (float?)metadata.GetNumber(prefix + "attention.layer_norm_epsilon"),
            VocabularySize = metadata.GetInteger(prefix + "vocab_size") ?? metadata.GetArrayLength("tokenizer.ggml.tokens"),
        };
    }

    // llama.cpp's get_key_or_arr: one value for every layer, or an array of per-layer values.
    private static (long? First, bool Varies) PerLayer(GgufMetadataCollection metadata, string key)
    {
        if (metadata.GetInteger(key) is { } value)
        {
            return (value, false);
        }
        if (metadata.GetEntry(key) is not { ValueType: GgufValueType.Array, Value: Array { Length: > 0 } array })
        {
            return (null, false);
        }
        long? first = Integer(array.GetValue(0));
        bool varies = false;
        for (int i = 1; i < array.Length && !varies; i++)
        {
            varies = Integer(array.GetValue(i)) != first;
        }
        return (first, varies);
    }

    private static long? Integer(object? element) => element switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v when v <= long.MaxValue => (long)v,
        long v => v,
        _ => null,
    };
}
