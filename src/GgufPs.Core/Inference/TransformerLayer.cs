namespace GgufPs.Inference;

/// <summary>The weights of one transformer block (blk.N.*). Optional parts are null when the model has none.</summary>
internal sealed class TransformerLayer
{
    public required float[] AttentionNorm { get; init; }

    public float[]? AttentionNormBias { get; init; }

    /// <summary>Separate projections (llama, qwen2) or null when the model has a fused <see cref="QueryKeyValue"/>.</summary>
    public WeightMatrix? Query { get; init; }

    public WeightMatrix? Key { get; init; }

    public WeightMatrix? Value { get; init; }

    public float[]? QueryBias { get; init; }

    public float[]? KeyBias { get; init; }

    public float[]? ValueBias { get; init; }

    /// <summary>GPT-2's fused attn_qkv: rows are Q, then K, then V.</summary>
    public WeightMatrix? QueryKeyValue { get; init; }

    public float[]? QueryKeyValueBias { get; init; }

    public required WeightMatrix Output { get; init; }

    public float[]? OutputBias { get; init; }

    public required float[] FeedForwardNorm { get; init; }

    public float[]? FeedForwardNormBias { get; init; }

    /// <summary>SwiGLU's gate (llama, qwen2); null for GPT-2's GELU MLP.</summary>
    public WeightMatrix? Gate { get; init; }

    public float[]? GateBias { get; init; }

    public required WeightMatrix Up { get; init; }

    public float[]? UpBias { get; init; }

    public required WeightMatrix Down { get; init; }

    public float[]? DownBias { get; init; }
}
