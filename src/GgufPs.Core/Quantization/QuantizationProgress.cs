namespace GgufPs.Quantization;

/// <summary>A progress report from <see cref="ModelQuantizer"/>: which tensor, how far into it, how far overall.</summary>
public readonly record struct QuantizationProgress(
    int TensorIndex,
    int TensorCount,
    string TensorName,
    GgmlType SourceType,
    GgmlType TargetType,
    long RowsDone,
    long RowCount,
    long BytesDone,
    long BytesTotal);
