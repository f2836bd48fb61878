namespace GgufPs.Quantization;

/// <summary>What happens to one tensor: its source and target types, and whether a fallback replaced the type the mix wanted.</summary>
public sealed class TensorQuantizationPlan
{
    internal TensorQuantizationPlan(GgufTensorInfo source, long[] shape, GgmlType targetType, GgmlType? requestedType, string? fallbackReason, float[]? importance)
    {
        Source = source;
        Shape = shape;
        TargetType = targetType;
        RequestedType = requestedType;
        FallbackReason = fallbackReason;
        Importance = importance;
        TargetBytes = GgmlTypeInfo.Get(targetType).ByteCount(source.ElementCount);
    }

    internal GgufTensorInfo Source { get; }

    internal float[]? Importance { get; }

    public string Name => Source.Name;

    /// <summary>The shape written (ggml order; trailing 1s dropped as ggml writes them).</summary>
    public long[] Shape { get; }

    public GgmlType SourceType => Source.Type;

    public GgmlType TargetType { get; }

    /// <summary>The type the mix (or an override) asked for when a fallback replaced it; null otherwise.</summary>
    public GgmlType? RequestedType { get; }

    public bool IsFallback => RequestedType is not null;

    public string? FallbackReason { get; }

    /// <summary>True when the tensor's bytes are copied unchanged.</summary>
    public bool IsCopied => TargetType == SourceType;

    public bool UsesImportanceMatrix => Importance is not null;

    public long SourceBytes => Source.ByteSize;

    public long TargetBytes { get; }

    public override string ToString() =>
        $"{Name} [{string.Join(", ", Shape)}] {SourceType} -> {TargetType}{(IsFallback ? $" (fallback from {RequestedType})" : "")}";
}
