namespace GgufPs.Oracle;

/// <summary>What llama.cpp's gguf reader saw in a file.</summary>
internal sealed record GgufSnapshot(uint Version, long Alignment, long DataOffset, IReadOnlyList<GgufSnapshot.Entry> Entries, IReadOnlyList<GgufSnapshot.Tensor> Tensors)
{
    public sealed record Entry(string Key, GgufValueType Type, GgufValueType? ElementType, object Value);

    public sealed record Tensor(string Name, int Type, long Offset, long Size);
}
