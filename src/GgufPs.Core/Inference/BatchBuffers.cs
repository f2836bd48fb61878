namespace GgufPs.Inference;

/// <summary>
/// The activations of one batch of up to <see cref="Tokens"/> tokens, allocated once per context and reused by
/// every batch: fresh buffers per batch cost tens of thousands of page faults per 512-token chunk. Pages are touched
/// only as far as batches reach, so a context that evaluates one token at a time stays small.
/// </summary>
internal sealed class BatchBuffers : IDisposable
{
    public BatchBuffers(TransformerConfig c, int tokens)
    {
        Tokens = tokens;
        int d = c.EmbeddingLength;
        int qkv = c.QueryLength + 2 * c.KeyValueLength;
        int widest = Math.Max(Math.Max(d, c.FeedForwardLength), qkv);
        X = new NativeBuffer((long)tokens * d);
        Normalized = new NativeBuffer((long)tokens * d);
        Rounded = new NativeBuffer((long)tokens * widest);
        Query = new NativeBuffer((long)tokens * qkv);
        Key = new NativeBuffer((long)tokens * c.KeyValueLength);
        Value = new NativeBuffer((long)tokens * c.KeyValueLength);
        Attention = new NativeBuffer((long)tokens * c.QueryLength);
        Projected = new NativeBuffer((long)tokens * d);
        Gate = new NativeBuffer((long)tokens * c.FeedForwardLength);
        Up = new NativeBuffer((long)tokens * c.FeedForwardLength);
    }

    public int Tokens { get; }

    /// <summary>The residual stream.</summary>
    public NativeBuffer X { get; }

    /// <summary>The normalized input of a block's products.</summary>
    public NativeBuffer Normalized { get; }

    /// <summary>An input rounded to the activation format of a float weight type (F16, BF16).</summary>
    public NativeBuffer Rounded { get; }

    /// <summary>Queries, or GPT-2's fused query/key/value rows.</summary>
    public NativeBuffer Query { get; }

    public NativeBuffer Key { get; }

    public NativeBuffer Value { get; }

    public NativeBuffer Attention { get; }

    public NativeBuffer Projected { get; }

    public NativeBuffer Gate { get; }

    public NativeBuffer Up { get; }

    public void Dispose()
    {
        foreach (var buffer in new[] { X, Normalized, Rounded, Query, Key, Value, Attention, Projected, Gate, Up })
        {
            buffer.Dispose();
        }
    }
}
