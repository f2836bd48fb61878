using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GgufPs.Quantization;

/// <summary>F32: plain little-endian floats, copied as they are.</summary>
internal sealed class F32BlockFormat : BlockFormat
{
    internal F32BlockFormat() : base(GgmlType.F32, GgmlType.F32)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance) =>
        MemoryMarshal.AsBytes(source).CopyTo(destination);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance) =>
        MemoryMarshal.AsBytes(row).CopyTo(destination);

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination) =>
        MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
}
