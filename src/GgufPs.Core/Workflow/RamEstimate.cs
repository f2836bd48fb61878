using GgufPs.Inference;

namespace GgufPs.Workflow;

/// <summary>
/// The memory a model needs to run, as the usual "RAM needed" tables give it: the weights (the file, memory-mapped)
/// plus the key/value cache llama.cpp allocates for the context (F16 by default). Compute buffers come on top.
/// </summary>
internal static class RamEstimate
{
    /// <summary>Bytes of an F16 KV cache for <paramref name="context"/> positions: K and V, every layer, every KV head.</summary>
    public static long KeyValueCacheBytes(TransformerConfig config, int context)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        return 2L * config.LayerCount * context * config.KeyValueLength * sizeof(ushort);
    }

    /// <summary>The file's size plus its KV cache for <paramref name="context"/> positions.</summary>
    public static long Bytes(long fileSize, TransformerConfig config, int context) => fileSize + KeyValueCacheBytes(config, context);
}
