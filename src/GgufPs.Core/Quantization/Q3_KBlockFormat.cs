using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q3_K: 256 weights in 16 groups of 16, 3-bit levels (2 low bits plus a high-bit mask) with 6-bit signed group
/// scales and an F16 super-scale (110 bytes: hmask[32], qs[64], scales[12], d).
/// </summary>
public sealed class Q3_KBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 110;
    private const int HMaskOffset = 0;
    private const int QuantsOffset = 32;
    private const int ScalesOffset = 96;
    private const int DOffset = 108;

    internal Q3_KBlockFormat() : base(GgmlType.Q3_K, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        for (int i = 0; i < row.Length / Qk; i++)
        {
            var x = row.Slice(i * Qk, Qk);
            var y = destination.Slice(i * Bytes, Bytes);
            if (importance.IsEmpty)
            {
                QuantizeReference(x, y);
            }
            else
            {
                QuantizeWeighted(x, y, importance.Slice(i * Qk, Qk));
            }
        }
    }

    // quantize_row_q3_K_ref, one super-block.
    private static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        if (LaneFitting.IsSupported)
        {
            Span<Vector512<float>> xt = stackalloc Vector512<float>[16];
            Span<Vector512<int>> lt = stackalloc Vector512<int>[16];
            LaneFitting.Transpose(x, 16, 16, 16, xt);
            LaneFitting.Q3(xt, 16, 4, lt).CopyTo(scales);
            Untranspose(lt, levels);
        }
        else
        {
            for (int j = 0; j < Qk / 16; j++)
            {
                scales[j] = MakeQ3Quants(16, 4, x.Slice(16 * j, 16), levels.Slice(16 * j, 16), true);
            }
        }
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < Qk / 16; j++)
        {
            float scale = MathF.Abs(scales[j]);
            if (scale > amax)
            {
                amax = scale;
                maxScale = scales[j];
            }
        }
        var packed = y.Slice(ScalesOffset, 12);
        packed.Clear();
        if (maxScale != 0)
        {
            float iscale = -32.0f / maxScale;
            for (int j = 0; j < Qk / 16; j++)
            {
                int l = (sbyte)NearestInt(iscale * scales[j]);
                l = Math.Max(-32, Math.Min(31, l)) + 32;
                PackScale(packed, j, l);
            }
            WriteHalf(y[DOffset..], 1 / iscale);
        }
        else
        {
            WriteHalf(y[DOffset..], 0.0f);
        }
        Finish(x, y, levels);
    }

    // quantize_row_q3_K_impl, one super-block.
    private static void QuantizeWeighted(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> quantWeights)
    {
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        Span<float> weight = stackalloc float[16];
        Span<float> sw = stackalloc float[Qk / 16];
        Span<sbyte> ls = stackalloc sbyte[Qk / 16];

        float sigma2 = 2 * SumOfSquares(x) / Qk;
        if (LaneFitting.IsSupported)
        {
            Span<Vector512<float>> xt = stackalloc Vector512<float>[16];
            Span<Vector512<float>> wt = stackalloc Vector512<float>[16];
            Span<Vector512<int>> lt = stackalloc Vector512<int>[16];
            LaneFitting.Transpose(x, 16, 16, 16, xt);
            LaneFitting.Transpose(quantWeights, 16, 16, 16, wt);
            var sigma = Vector512.Create(sigma2);
            var sum = Vector512<float>.Zero;
            for (int l = 0; l < 16; l++)
            {
                wt[l] *= Vector512.Sqrt(sigma + xt[l] * xt[l]);
                sum += wt[l];
            }
            sum.CopyTo(sw);
            LaneFitting.QxWeighted(xt, wt, 16, 4, lt).CopyTo(scales);
            Untranspose(lt, levels);
        }
        else
        {
            for (int j = 0; j < Qk / 16; j++)
            {
                var qw = quantWeights.Slice(16 * j, 16);
                for (int l = 0; l < 16; l++)
                {
                    weight[l] = qw[l] * MathF.Sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
                }
                float sumw = 0;
                for (int l = 0; l < 16; l++)
                {
                    sumw += weight[l];
                }
                sw[j] = sumw;
                scales[j] = MakeQxQuants(16, 4, x.Slice(16 * j, 16), levels.Slice(16 * j, 16), 1, weight);
            }
        }
        var packed = y.Slice(ScalesOffset, 12);
        packed.Clear();
        float dBlock = MakeQxQuants(Qk / 16, 32, scales, ls, 1, sw);
        for (int j = 0; j < Qk / 16; j++)
        {
            PackScale(packed, j, ls[j]);
        }
        WriteHalf(y[DOffset..], dBlock);
        Finish(x, y, levels);
    }

    // Lane g of vector i is element i of group g.
    private static void Untranspose(ReadOnlySpan<Vector512<int>> lanes, Span<sbyte> levels)
    {
        Span<int> row = stackalloc int[16];
        for (int i = 0; i < 16; i++)
        {
            lanes[i].CopyTo(row);
            for (int g = 0; g < 16; g++)
            {
                levels[16 * g + i] = (sbyte)row[g];
            }
        }
    }

    private static void PackScale(Span<byte> packed, int j, int l)
    {
        if (j < 8)
        {
            packed[j] = (byte)(l & 0xF);
        }
        else
        {
            packed[j - 8] |= (byte)((l & 0xF) << 4);
        }
        l >>= 4;
        packed[j % 4 + 8] |= (byte)(l << (2 * (j / 4)));
    }

    private static int UnpackScale(ReadOnlySpan<byte> packed, int j)
    {
        int sc = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
        return (sbyte)((sc | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
    }

    // Requantizes from the rounded F16 scale, splits off the high bits and packs, as both ggml paths end.
    private static void Finish(ReadOnlySpan<float> x, Span<byte> y, Span<sbyte> levels)
    {
        var packed = y.Slice(ScalesOffset, 12);
        float dAll = ReadHalf(y[DOffset..]);
        for (int j = 0; j < Qk / 16; j++)
        {
            float d = dAll * UnpackScale(packed, j);
            if (d == 0)
            {
                continue;
            }
            if (LaneFitting.IsSupported)
            {
                var q = LaneFitting.NearestInt(Vector512.Create(x.Slice(16 * j, 16)) / Vector512.Create(d));
                q = Vector512.Min(Vector512.Max(q, Vector512.Create(-4)), Vector512.Create(3)) + Vector512.Create(4);
                for (int ii = 0; ii < 16; ii++)
                {
                    levels[16 * j + ii] = (sbyte)q.GetElement(ii);
                }
                continue;
            }
            for (int ii = 0; ii < 16; ii++)
            {
                int l = NearestInt(x[16 * j + ii] / d);
                l = Math.Max(-4, Math.Min(3, l));
                levels[16 * j + ii] = (sbyte)(l + 4);
            }
        }
        var hmask = y.Slice(HMaskOffset, Qk / 8);
        hmask.Clear();
        int m = 0;
        byte hm = 1;
        for (int j = 0; j < Qk; j++)
        {
            if (levels[j] > 3)
            {
                hmask[m] |= hm;
                levels[j] -= 4;
            }
            if (++m == Qk / 8)
            {
                m = 0;
                hm <<= 1;
            }
        }
        for (int j = 0; j < Qk; j += 128)
        {
            for (int l = 0; l < 32; l++)
            {
                y[QuantsOffset + j / 4 + l] = (byte)((byte)levels[j + l] | ((byte)levels[j + l + 32] << 2) | ((byte)levels[j + l + 64] << 4) | ((byte)levels[j + l + 96] << 6));
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        Span<sbyte> scales = stackalloc sbyte[16];
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            var y = destination.Slice(i * Qk, Qk);
            float dAll = ReadHalf(x[DOffset..]);
            var packed = x.Slice(ScalesOffset, 12);
            for (int j = 0; j < 16; j++)
            {
                scales[j] = (sbyte)(UnpackScale(packed, j) + 32);
            }
            var hm = x.Slice(HMaskOffset, 32);
            int o = 0;
            int scaleIndex = 0;
            byte m = 1;
            for (int n = 0; n < Qk; n += 128)
            {
                var q = x.Slice(QuantsOffset + n / 4, 32);
                for (int shift = 0; shift < 8; shift += 2)
                {
                    float dl = dAll * (scales[scaleIndex++] - 32);
                    for (int l = 0; l < 16; l++)
                    {
                        y[o++] = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    }
                    dl = dAll * (scales[scaleIndex++] - 32);
                    for (int l = 0; l < 16; l++)
                    {
                        y[o++] = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) != 0 ? 0 : 4));
                    }
                    m <<= 1;
                }
            }
        }
    }
}
