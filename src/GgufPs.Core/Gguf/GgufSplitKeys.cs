namespace GgufPs;

/// <summary>The metadata keys that describe a split set (llama.cpp's LLM_KV_SPLIT_*), and their llama.cpp types.</summary>
internal static class GgufSplitKeys
{
    /// <summary>This part's 0-based index, a u16.</summary>
    public const string Number = "split.no";

    /// <summary>The number of parts, a u16; 0 in a file merged from a set.</summary>
    public const string Count = "split.count";

    /// <summary>The number of tensors in the whole set, an i32.</summary>
    public const string TensorCount = "split.tensors.count";

    internal static bool IsSplitKey(string key) => key is Number or Count or TensorCount;
}
