using System.Runtime.CompilerServices;
namespace GgufPs.Quantization;

/// <summary>BF16: the top half of an F32, rounded to nearest even with NaNs kept quiet, as ggml_fp32_to_bf16_row_ref does.</summary>
internal sealed class BF16BlockFormat : BlockFormat
{
    internal BF16BlockFormat() : base(GgmlType.BF16, GgmlType.BF16)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance) =>
        HalfPrecisionConverter.ToBF16(source, destination);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance) =>
        HalfPrecisionConverter.ToBF16(row, destination);

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination) =>
        HalfPrecisionConverter.FromBF16(source, destination);
}
