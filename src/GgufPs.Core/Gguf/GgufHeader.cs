namespace GgufPs;

/// <summary>Everything in a GGUF file before the tensor data.</summary>
internal sealed record GgufHeader(
    uint Version,
    GgufMetadataCollection Metadata,
    IReadOnlyList<GgufTensorInfo> Tensors,
    uint Alignment,
    long HeaderLength,
    long DataOffset);
