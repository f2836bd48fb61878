using System.Buffers.Binary;
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
}
