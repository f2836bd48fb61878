using System.Runtime.CompilerServices;
namespace GgufPs.Quantization;

/// <summary>F16: IEEE half floats, rounded to nearest even with NaNs made quiet, as ggml_fp32_to_fp16_row does.</summary>
internal sealed class F16BlockFormat : BlockFormat
{
    internal F16BlockFormat() : base(GgmlType.F16, GgmlType.F16)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance) =>
        HalfPrecisionConverter.ToF16(source, destination);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance) =>
        HalfPrecisionConverter.ToF16(row, destination);

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination) =>
        HalfPrecisionConverter.FromF16(source, destination);
}
