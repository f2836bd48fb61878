namespace GgufPs.Inference;

/// <summary>A model's shape and numeric constants, read from its {architecture}.* metadata with llama.cpp's defaults.</summary>
public sealed class TransformerConfig
{
    public required ModelArchitecture Architecture { get; init; }

    public required string ArchitectureName { get; init; }

    public required int EmbeddingLength { get; init; }

    public required int LayerCount { get; init; }

    public required int HeadCount { get; init; }

    public required int KeyValueHeadCount { get; init; }

    /// <summary>Dimension of one attention head (key and value).</summary>
    public required int HeadDimension { get; init; }

    public required int FeedForwardLength { get; init; }

    /// <summary>The training context (n_ctx_train).</summary>
    public required int ContextLength { get; init; }

    /// <summary>How many dimensions of each head RoPE rotates (n_rot).</summary>
    public required int RopeDimensions { get; init; }

    public required float RopeFrequencyBase { get; init; }

    public required float RopeFrequencyScale { get; init; }

    /// <summary>Epsilon of RMSNorm or LayerNorm.</summary>
    public required float NormEpsilon { get; init; }

    public int QueryLength => HeadCount * HeadDimension;

    public int KeyValueLength => KeyValueHeadCount * HeadDimension;

    /// <summary>Reads the configuration; throws <see cref="NotSupportedException"/> for architectures or features not implemented.</summary>
    public static TransformerConfig FromMetadata(GgufMetadataCollection metadata)
    {
        string name = metadata.GetString("general.architecture")
            ?? throw new InvalidDataException("The model has no general.architecture.");
        var architecture = name switch
        {
            "llama" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "gpt2" => ModelArchitecture.Gpt2,
            _ => throw new NotSupportedException($"The architecture '{name}' is not supported for inference (supported: llama, qwen2, gpt2)."),
        };
        long Required(string key)
        {
            long? value = metadata.GetInteger($"{name}.{key}");
            if (value is null or <= 0 or > int.MaxValue)
            {
                throw new InvalidDataException($"The model lacks a valid {name}.{key}.");
            }
            return value.Value;
        }
        if ((metadata.GetInteger($"{name}.expert_count") ?? 0) > 0)
        {
            throw new NotSupportedException($"Mixture-of-experts models ({name}.expert_count) are not supported for inference.");
        }
        int embedding = (int)Required("embedding_length");
        int heads = (int)Required("attention.head_count");
        int kvHeads = (int)(metadata.GetInteger($"{name}.attention.head_count_kv") ?? heads);
        if (kvHeads <= 0 || heads % kvHeads != 0)
        {
            throw new InvalidDataException($"{name}.attention.head_count_kv ({kvHeads}) must divide head_count ({heads}).");
        }
        int headDim = (int)(metadata.GetInteger($"{name}.attention.key_length") ?? embedding / heads);
        int valueDim = (int)(metadata.GetInteger($"{name}.attention.value_length") ?? headDim);
        if (headDim <= 0 || valueDim != headDim)
        {
            throw new NotSupportedException($"Attention with key length {headDim} and value length {valueDim} is not supported.");
        }
        int rot = (int)(metadata.GetInteger($"{name}.rope.dimension_count") ?? headDim);
        if (rot > headDim || rot % 2 != 0)
        {
            throw new InvalidDataException($"{name}.rope.dimension_count ({rot}) must be even and at most the head size ({headDim}).");
        }
        string scaling = metadata.GetString($"{name}.rope.scaling.type") ?? "linear";
        if (scaling is not ("linear" or "none"))
        {
            throw new NotSupportedException($"RoPE scaling '{scaling}' is not supported.");
        }
        // As llama.cpp: the factor (or the older scale_linear) divides the frequencies whatever the scaling type says.
        double factor = metadata.GetNumber($"{name}.rope.scaling.factor") ?? metadata.GetNumber($"{name}.rope.scale_linear") ?? 0.0;
        float scale = factor == 0 ? 1.0f : 1.0f / (float)factor;
        string epsKey = architecture == ModelArchitecture.Gpt2 ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon";
        double epsilon = metadata.GetNumber($"{name}.{epsKey}") ?? throw new InvalidDataException($"The model lacks {name}.{epsKey}.");
        return new TransformerConfig
        {
            Architecture = architecture,
            ArchitectureName = name,
            EmbeddingLength = embedding,
            LayerCount = (int)Required("block_count"),
            HeadCount = heads,
            KeyValueHeadCount = kvHeads,
            HeadDimension = headDim,
            FeedForwardLength = (int)Required("feed_forward_length"),
            ContextLength = (int)Required("context_length"),
            RopeDimensions = rot,
            RopeFrequencyBase = (float)(metadata.GetNumber($"{name}.rope.freq_base") ?? 10000.0),
            RopeFrequencyScale = scale,
            NormEpsilon = (float)epsilon,
        };
    }
}
