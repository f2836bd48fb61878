using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q8_0: 32 weights as signed bytes with one F16 scale (34 bytes: d, qs[32]). Quantize is ggml's reference
/// (roundf, half away from zero); <see cref="QuantizeActivations"/> is what ggml-cpu's x86 build uses for activations.
/// </summary>
internal sealed class Q8_0BlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 34;

    internal Q8_0BlockFormat() : base(GgmlType.Q8_0, GgmlType.Q8_0)
    {
    }

    // ggml ignores importance weights for Q8_0, and blocks stand alone, so all rows are one run of blocks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRows(ReadOnlySpan<float> source, int rowCount, int rowLength, Span<byte> destination, ReadOnlySpan<float> importance) =>
        QuantizeRow(source, destination, default);

    // quantize_row_q8_0_ref, two vectors per block; a block holding a NaN takes the scalar path, whose max depends on order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        bool vector = LaneFitting.IsSupported;
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var x = row.Slice(ib * Qk, Qk);
            if (vector && LaneFitting.TryLoad32(x, out var low, out var high))
            {
                float max = LaneFitting.MaxAcross(Vector512.Abs(low), Vector512.Abs(high));
                float scale = max / ((1 << 7) - 1);
                var inverse = Vector512.Create(scale != 0 ? 1.0f / scale : 0.0f);
                var output = destination.Slice(ib * Bytes, Bytes);
                WriteHalf(output, scale);
                LaneFitting.StoreLowBytes(LaneFitting.TruncateToInt32(LaneFitting.RoundAwayFromZero(low * inverse)), output[2..]);
                LaneFitting.StoreLowBytes(LaneFitting.TruncateToInt32(LaneFitting.RoundAwayFromZero(high * inverse)), output[18..]);
                continue;
            }
            float amax = 0;
            for (int j = 0; j < Qk; j++)
            {
                float a = MathF.Abs(x[j]);
                amax = amax > a ? amax : a;
            }
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            var block = destination.Slice(ib * Bytes, Bytes);
            WriteHalf(block, d);
            for (int j = 0; j < Qk; j++)
            {
                block[2 + j] = (byte)RoundAwayToInt32(x[j] * id);
            }
        }
    }

    /// <summary>
    /// ggml-cpu's quantize_row_q8_0 on x86 (AVX): scale 127/amax, rounding half to even. This is what llama.cpp applies
    /// to activations before a Q4_0/Q5_0/Q8_0/IQ4_NL dot product; it differs from <see cref="BlockFormat.Quantize"/>.
    /// </summary>
    public static void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (source.Length % Qk != 0 || destination.Length < source.Length / Qk * Bytes)
        {
            throw new ArgumentException($"Q8_0 activations need a multiple of {Qk} values and {Bytes} bytes per block.");
        }
        ActivationQuantizer.QuantizeQ8(source, destination, Bytes, withSum: false);
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int ib = 0; ib < destination.Length / Qk; ib++)
        {
            var block = source.Slice(ib * Bytes, Bytes);
            float d = ReadHalf(block);
            var y = destination.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk; j++)
            {
                y[j] = (sbyte)block[2 + j] * d;
            }
        }
    }
}
