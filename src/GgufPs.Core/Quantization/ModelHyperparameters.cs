namespace GgufPs.Quantization;

/// <summary>The few model facts llama.cpp's type-mix policy looks at, read from GGUF metadata as llama.cpp reads them.</summary>
internal sealed class ModelHyperparameters
{
    public required string Architecture { get; init; }

    public int LayerCount { get; init; }

    public int HeadCount { get; init; }

    public int KvHeadCount { get; init; }

    public int ExpertCount { get; init; }

    /// <summary>llama.cpp's LLM_TYPE_70B: a llama with 80 layers and grouped-query attention.</summary>
    public bool Is70B => Architecture == "llama" && LayerCount == 80 && HeadCount != KvHeadCount;

    public bool IsFalcon => Architecture == "falcon";

    /// <summary>hparams.n_gqa(): query heads per KV head (layer 0); 0 when the model declares no heads.</summary>
    public int GroupedQueryFactor => KvHeadCount == 0 ? 0 : HeadCount / KvHeadCount;

    public static ModelHyperparameters From(GgufMetadataCollection metadata)
    {
        string arch = metadata.GetString("general.architecture") ?? "";
        int heads = FirstInteger(metadata, arch + ".attention.head_count") ?? 0;
        return new ModelHyperparameters
        {
            Architecture = arch,
            LayerCount = (int)(metadata.GetInteger(arch + ".block_count") ?? 0),
            HeadCount = heads,
            // llama.cpp defaults the KV head count to the head count when the key is absent.
            KvHeadCount = FirstInteger(metadata, arch + ".attention.head_count_kv") ?? heads,
            ExpertCount = (int)(metadata.GetInteger(arch + ".expert_count") ?? 0),
        };
    }

    // head_count may be a per-layer array; llama.cpp's n_gqa() looks at layer 0.
    private static int? FirstInteger(GgufMetadataCollection metadata, string key)
    {
        if (metadata.GetInteger(key) is { } value)
        {
            return (int)value;
        }
        var entry = metadata.GetEntry(key);
        if (entry is { ValueType: GgufValueType.Array } && entry.Value is Array { Length: > 0 } array)
        {
            return Convert.ToInt32(array.GetValue(0));
        }
        return null;
    }
}
