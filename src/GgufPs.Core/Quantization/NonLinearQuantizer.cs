using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// quantize_row_iq4_nl_impl for the 4-bit non-linear grid, shared by IQ4_NL (one block of 32) and IQ4_XS (a
/// super-block of 256 with 6-bit group scales).
/// </summary>
internal static class NonLinearQuantizer
{
    /// <summary>kvalues_iq4nl: the 16 levels of IQ4_NL and IQ4_XS.</summary>
    public static ReadOnlySpan<sbyte> Iq4Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    private const int BlockSize = 32;

    /// <summary>
    /// Quantizes <paramref name="x"/> (32 or 256 values) into <paramref name="levels"/> and returns the F16 scale bits;
    /// for a super-block, <paramref name="scalesH"/>/<paramref name="scalesL"/> receive the packed 6-bit group scales.
    /// </summary>
    public static ushort Quantize(ReadOnlySpan<float> x, ReadOnlySpan<float> quantWeights, Span<byte> levels,
        out ushort scalesH, Span<byte> scalesL, int ntry)
    {
        var values = Iq4Values;
        int superBlockSize = x.Length;
        int blockCount = superBlockSize / BlockSize;
        Span<float> weight = stackalloc float[BlockSize];
        Span<float> scales = stackalloc float[blockCount];

        float sigma2 = 0;
        for (int j = 0; j < superBlockSize; j++)
        {
            sigma2 += x[j] * x[j];
        }
        sigma2 *= 2.0f / superBlockSize;

        ushort dh = 0;
        scalesH = 0;
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < blockCount; ib++)
        {
            var xb = x.Slice(ib * BlockSize, BlockSize);
            var lb = levels.Slice(ib * BlockSize, BlockSize);
            if (!quantWeights.IsEmpty)
            {
                var qw = quantWeights.Slice(ib * BlockSize, BlockSize);
                for (int j = 0; j < BlockSize; j++)
                {
                    weight[j] = qw[j] * MathF.Sqrt(sigma2 + xb[j] * xb[j]);
                }
            }
            else
            {
                for (int j = 0; j < BlockSize; j++)
                {
                    weight[j] = xb[j] * xb[j];
                }
            }
            float amax = 0, max = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                float ax = MathF.Abs(xb[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = xb[j];
                }
            }
            if (amax < GroupMaxEps)
            {
                scales[ib] = 0;
                lb.Clear();
                continue;
            }
            float d = ntry > 0 ? -max / values[0] : max / values[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                float al = id * xb[j];
                int l = BestIndexInt8(values, al);
                lb[j] = (byte)l;
                float q = values[l];
                float w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
            float best = d * sumqx;
            for (int attempt = -ntry; attempt <= ntry; attempt++)
            {
                id = (attempt + values[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < BlockSize; j++)
                {
                    float al = id * xb[j];
                    int l = BestIndexInt8(values, al);
                    float q = values[l];
                    float w = weight[j];
                    sumqx += w * q * xb[j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
                {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = MathF.Abs(d);
            if (absD > amaxScale)
            {
                amaxScale = absD;
                maxScale = d;
            }
        }

        if (blockCount > 1)
        {
            float d = -maxScale / 32;
            dh = ToHalf(d);
            float id = d != 0 ? 1 / d : 0.0f;
            for (int ib = 0; ib < blockCount; ib++)
            {
                int l = NearestInt(id * scales[ib]);
                l = Math.Max(-32, Math.Min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.0f;
                var lb = levels.Slice(ib * BlockSize, BlockSize);
                var xb = x.Slice(ib * BlockSize, BlockSize);
                for (int j = 0; j < BlockSize; j++)
                {
                    lb[j] = (byte)BestIndexInt8(values, idl * xb[j]);
                }
                l += 32;
                byte low = (byte)(l & 0xf);
                int high = l >> 4;
                if (ib % 2 == 0)
                {
                    scalesL[ib / 2] = low;
                }
                else
                {
                    scalesL[ib / 2] |= (byte)(low << 4);
                }
                scalesH |= (ushort)(high << 2 * (ib % 8));
            }
        }
        else
        {
            dh = ToHalf(scales[0]);
            if (ntry > 0)
            {
                float id = scales[0] != 0 ? 1 / scales[0] : 0;
                for (int j = 0; j < superBlockSize; j++)
                {
                    levels[j] = (byte)BestIndexInt8(values, id * x[j]);
                }
            }
        }
        return dh;
    }

    /// <summary>Packs levels two per byte: the first 16 of each 32 in the low nibbles, the next 16 in the high.</summary>
    public static void PackNibbles(ReadOnlySpan<byte> levels, Span<byte> q4)
    {
        for (int i = 0; i < levels.Length / 32; i++)
        {
            for (int j = 0; j < 16; j++)
            {
                q4[16 * i + j] = (byte)(levels[32 * i + j] | (levels[32 * i + 16 + j] << 4));
            }
        }
    }

    public static void WriteScaleHalf(Span<byte> destination, ushort bits) => BinaryPrimitives.WriteUInt16LittleEndian(destination, bits);

    /// <summary>
    /// The per-block scale search of quantize_row_iq4_nl_impl (ntry = 7) for 16 blocks of 32 at once, one block per
    /// lane: <paramref name="x"/>[i] holds element i of every block, <paramref name="weight"/> the matching weights.
    /// Blocks whose largest magnitude is below GROUP_MAX_EPS get scale 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> SearchScalesLanes(ReadOnlySpan<Vector512<float>> x, ReadOnlySpan<Vector512<float>> weight)
    {
        const int ntry = 7;
        var zero = Vector512<float>.Zero;
        var amax = zero;
        var max = zero;
        for (int j = 0; j < BlockSize; j++)
        {
            var ax = Vector512.Abs(x[j]);
            var larger = Vector512.GreaterThan(ax, amax);
            amax = Vector512.ConditionalSelect(larger, ax, amax);
            max = Vector512.ConditionalSelect(larger, x[j], max);
        }
        var tiny = Vector512.LessThan(amax, Vector512.Create(GroupMaxEps));
        var d = -max / Vector512.Create(-127f);
        var id = Vector512<float>.One / d;
        var sumqx = zero;
        var sumq2 = zero;
        for (int j = 0; j < BlockSize; j++)
        {
            var q = LaneFitting.Iq4Value(LaneFitting.BestIndexIq4(id * x[j]));
            var w = weight[j];
            sumqx += w * q * x[j];
            sumq2 += w * q * q;
        }
        d = Vector512.ConditionalSelect(Vector512.GreaterThan(sumq2, zero), sumqx / sumq2, zero);
        var best = d * sumqx;
        for (int attempt = -ntry; attempt <= ntry; attempt++)
        {
            id = Vector512.Create((float)(attempt - 127)) / max;
            sumqx = sumq2 = zero;
            for (int j = 0; j < BlockSize; j++)
            {
                var q = LaneFitting.Iq4Value(LaneFitting.BestIndexIq4(id * x[j]));
                var w = weight[j];
                sumqx += w * q * x[j];
                sumq2 += w * q * q;
            }
            var better = Vector512.GreaterThan(sumq2, zero) & Vector512.GreaterThan(sumqx * sumqx, best * sumq2);
            var newD = sumqx / sumq2;
            d = Vector512.ConditionalSelect(better, newD, d);
            best = Vector512.ConditionalSelect(better, newD * sumqx, best);
        }
        return Vector512.ConditionalSelect(tiny, zero, d);
    }

    /// <summary>The weights of 16 transposed blocks: importance·√(σ² + x²), or x² without importance.</summary>
    public static void LaneWeights(ReadOnlySpan<Vector512<float>> x, ReadOnlySpan<Vector512<float>> importance, Vector512<float> sigma2, Span<Vector512<float>> weight)
    {
        for (int j = 0; j < BlockSize; j++)
        {
            weight[j] = importance.IsEmpty ? x[j] * x[j] : importance[j] * Vector512.Sqrt(sigma2 + x[j] * x[j]);
        }
    }
}
