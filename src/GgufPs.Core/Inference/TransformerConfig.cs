namespace GgufPs.Inference;

/// <summary>A model's shape and numeric constants, from <see cref="ModelHyperparameters"/>, checked for what this engine runs.</summary>
internal sealed class TransformerConfig
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
        var hparams = ModelHyperparameters.From(metadata);
        string name = hparams.Architecture
            ?? throw new InvalidDataException("The model has no general.architecture.");
        var architecture = name switch
        {
            "llama" => ModelArchitecture.Llama,
            "qwen2" => ModelArchitecture.Qwen2,
            "gpt2" => ModelArchitecture.Gpt2,
            _ => throw new NotSupportedException($"The architecture '{name}' is not supported for inference (supported: llama, qwen2, gpt2)."),
        };
        long Required(long? value, string key)
        {
            if (value is null or <= 0 or > int.MaxValue)
            {
                throw new InvalidDataException($"The model lacks a valid {name}.{key}.");
            }
            return value.Value;
        }
        if (hparams.ExpertCount > 0)
        {
            throw new NotSupportedException($"Mixture-of-experts models ({name}.expert_count) are not supported for inference.");
        }
        if (hparams.VariesPerLayer)
        {
            throw new NotSupportedException($"Head counts or feed-forward lengths that differ between layers ({name}.attention.head_count, head_count_kv, feed_forward_length) are not supported for inference.");
        }
        int embedding = (int)Required(hparams.EmbeddingLength, "embedding_length");
        int heads = (int)Required(hparams.HeadCount, "attention.head_count");
        int kvHeads = (int)hparams.HeadCountKv!.Value;
        if (kvHeads <= 0 || heads % kvHeads != 0)
        {
            throw new InvalidDataException($"{name}.attention.head_count_kv ({kvHeads}) must divide head_count ({heads}).");
        }
        int headDim = (int)hparams.KeyLength!.Value;
        int valueDim = (int)hparams.ValueLength!.Value;
        if (headDim <= 0 || valueDim != headDim)
        {
            throw new NotSupportedException($"Attention with key length {headDim} and value length {valueDim} is not supported.");
        }
        int rot = (int)hparams.RopeDimensionCount!.Value;
        if (rot > headDim || rot % 2 != 0)
        {
            throw new InvalidDataException($"{name}.rope.dimension_count ({rot}) must be even and at most the head size ({headDim}).");
        }
        string scaling = hparams.RopeScalingType;
        if (scaling is not ("linear" or "none"))
        {
            throw new NotSupportedException($"RoPE scaling '{scaling}' is not supported.");
        }
        // As llama.cpp: the factor (or the older scale_linear) divides the frequencies whatever the scaling type says.
        float scale = hparams.RopeFrequencyScale;
        string epsKey = architecture == ModelArchitecture.Gpt2 ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon";
        float epsilon = (architecture == ModelArchitecture.Gpt2 ? hparams.LayerNormEpsilon : hparams.RmsNormEpsilon)
            ?? throw new InvalidDataException($"The model lacks {name}.{epsKey}.");
        return new TransformerConfig
        {
            Architecture = architecture,
            ArchitectureName = name,
            EmbeddingLength = embedding,
            LayerCount = (int)Required(hparams.BlockCount, "block_count"),
            HeadCount = heads,
            KeyValueHeadCount = kvHeads,
            HeadDimension = headDim,
            FeedForwardLength = (int)Required(hparams.FeedForwardLength, "feed_forward_length"),
            ContextLength = (int)Required(hparams.ContextLength, "context_length"),
            RopeDimensions = rot,
            RopeFrequencyBase = hparams.RopeFrequencyBase,
            RopeFrequencyScale = scale,
            NormEpsilon = epsilon,
        };
    }
}
