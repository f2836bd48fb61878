using System.Runtime.CompilerServices;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q8_1: ggml's activation format for Q4_1/Q5_1 dot products: 32 signed bytes, an F16 scale d and an F16 s = d·Σq
/// (36 bytes: d, s, qs[32]). Quantize is quantize_row_q8_1_ref; <see cref="QuantizeActivations"/> is ggml-cpu's x86 path.
/// </summary>
internal sealed class Q8_1BlockFormat : BlockFormat
{
    private const int Qk = 32;
    private const int Bytes = 36;

    internal Q8_1BlockFormat() : base(GgmlType.Q8_1, GgmlType.Q8_1)
    {
    }

    public override bool IsTensorFormat => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        for (int ib = 0; ib < row.Length / Qk; ib++)
        {
            var x = row.Slice(ib * Qk, Qk);
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
            int sum = 0;
            for (int j = 0; j < Qk / 2; j++)
            {
                sbyte q0 = (sbyte)RoundAwayToInt32(x[j] * id);
                sbyte q1 = (sbyte)RoundAwayToInt32(x[Qk / 2 + j] * id);
                block[4 + j] = (byte)q0;
                block[4 + Qk / 2 + j] = (byte)q1;
                sum += q0;
                sum += q1;
            }
            WriteHalf(block[2..], sum * d);
        }
    }

    /// <summary>ggml-cpu's quantize_row_q8_1 on x86 (AVX2): scale 127/amax, rounding half to even, s from the integer sum.</summary>
    public static void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (source.Length % Qk != 0 || destination.Length < source.Length / Qk * Bytes)
        {
            throw new ArgumentException($"Q8_1 activations need a multiple of {Qk} values and {Bytes} bytes per block.");
        }
        ActivationQuantizer.QuantizeQ8(source, destination, Bytes, withSum: true);
    }

    // ggml has no to_float for Q8_1; this is the plain d·q its dot products assume.
    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int ib = 0; ib < destination.Length / Qk; ib++)
        {
            var block = source.Slice(ib * Bytes, Bytes);
            float d = ReadHalf(block);
            var y = destination.Slice(ib * Qk, Qk);
            for (int j = 0; j < Qk; j++)
            {
                y[j] = (sbyte)block[4 + j] * d;
            }
        }
    }
}
