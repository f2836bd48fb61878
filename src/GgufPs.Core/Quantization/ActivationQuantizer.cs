using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// ggml-cpu's x86 quantize_row_q8_0 / quantize_row_q8_1, which llama.cpp runs on activations before integer dot
/// products. Unlike the reference quantizers they scale by 127/amax and round half to even; the max is reduced in the
/// same lane order as the AVX code so even NaN inputs give the same bytes.
/// </summary>
internal static class ActivationQuantizer
{
    private const int Qk = 32;

    public static void QuantizeQ8(ReadOnlySpan<float> source, Span<byte> destination, int blockBytes, bool withSum)
    {
        int quantOffset = withSum ? 4 : 2;
        for (int ib = 0; ib < source.Length / Qk; ib++)
        {
            var x = source.Slice(ib * Qk, Qk);
            var block = destination.Slice(ib * blockBytes, blockBytes);
            float maxScalar = Avx.IsSupported ? MaxAbsAvx(x) : MaxAbsScalar(x);
            float d = maxScalar / 127.0f;
            WriteHalf(block, d);
            float id = maxScalar != 0.0f ? 127.0f / maxScalar : 0.0f;
            int sum = 0;
            for (int j = 0; j < Qk; j++)
            {
                // _mm256_round_ps(_MM_ROUND_NEAREST), _mm256_cvtps_epi32, then the saturating packs to int8.
                int v = TruncateToInt32(MathF.Round(x[j] * id, MidpointRounding.ToEven));
                sum += v;
                block[quantOffset + j] = (byte)(sbyte)Math.Clamp(Math.Clamp(v, short.MinValue, short.MaxValue), sbyte.MinValue, sbyte.MaxValue);
            }
            if (withSum)
            {
                WriteHalf(block[2..], d * sum);
            }
        }
    }

    private static float MaxAbsAvx(ReadOnlySpan<float> x)
    {
        ref float start = ref MemoryMarshal.GetReference(x);
        var sign = Vector256.Create(-0.0f);
        var maxAbs = Avx.AndNot(sign, Vector256.LoadUnsafe(ref start));
        maxAbs = Avx.Max(maxAbs, Avx.AndNot(sign, Vector256.LoadUnsafe(ref start, 8)));
        maxAbs = Avx.Max(maxAbs, Avx.AndNot(sign, Vector256.LoadUnsafe(ref start, 16)));
        maxAbs = Avx.Max(maxAbs, Avx.AndNot(sign, Vector256.LoadUnsafe(ref start, 24)));
        var max4 = Sse.Max(maxAbs.GetUpper(), maxAbs.GetLower());
        max4 = Sse.Max(max4, Sse.MoveHighToLow(max4, max4));
        max4 = Sse.MaxScalar(max4, Sse3.MoveHighAndDuplicate(max4));
        return max4.ToScalar();
    }

    // The same reduction tree with x86 max semantics (a > b ? a : b) for machines without AVX.
    private static float MaxAbsScalar(ReadOnlySpan<float> x)
    {
        Span<float> lanes = stackalloc float[8];
        for (int k = 0; k < 8; k++)
        {
            float m = MathF.Abs(x[k]);
            for (int v = 1; v < 4; v++)
            {
                float a = MathF.Abs(x[8 * v + k]);
                m = m > a ? m : a;
            }
            lanes[k] = m;
        }
        Span<float> four = stackalloc float[4];
        for (int k = 0; k < 4; k++)
        {
            four[k] = lanes[4 + k] > lanes[k] ? lanes[4 + k] : lanes[k];
        }
        float m0 = four[0] > four[2] ? four[0] : four[2];
        float m1 = four[1] > four[3] ? four[1] : four[3];
        return m0 > m1 ? m0 : m1;
    }
}
