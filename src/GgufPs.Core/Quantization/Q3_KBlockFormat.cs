using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q3_K: 256 weights in 16 groups of 16, 3-bit levels (2 low bits plus a high-bit mask) with 6-bit signed group
/// scales and an F16 super-scale (110 bytes: hmask[32], qs[64], scales[12], d).
/// </summary>
internal sealed class Q3_KBlockFormat : BlockFormat
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        Span<Vector512<float>> xt = stackalloc Vector512<float>[16];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[16];
        bool lanes = LaneFitting.IsSupported;
        if (lanes)
        {
            LaneFitting.Transpose(x, 16, 16, 16, xt);
            LaneFitting.Q3(xt, 16, 4, lt).CopyTo(scales);
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
        if (lanes)
        {
            FinishLanes(xt, lt, y);
            return;
        }
        Finish(x, y, levels);
    }

    // quantize_row_q3_K_impl, one super-block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeWeighted(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> quantWeights)
    {
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        Span<float> weight = stackalloc float[16];
        Span<float> sw = stackalloc float[Qk / 16];

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
            FitScales(y, scales, sw);
            FinishLanes(xt, lt, y);
            return;
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
        FitScales(y, scales, sw);
        Finish(x, y, levels);
    }

    // The group scales quantized with make_qx_quants, weighted by each group's total weight.
    private static void FitScales(Span<byte> y, ReadOnlySpan<float> scales, ReadOnlySpan<float> sw)
    {
        Span<sbyte> ls = stackalloc sbyte[Qk / 16];
        var packed = y.Slice(ScalesOffset, 12);
        packed.Clear();
        float dBlock = MakeQxQuants(Qk / 16, 32, scales, ls, 1, sw);
        for (int j = 0; j < Qk / 16; j++)
        {
            PackScale(packed, j, ls[j]);
        }
        WriteHalf(y[DOffset..], dBlock);
    }

    /// <summary>
    /// <see cref="Finish"/> with the levels still one group per lane: requantize from the stored scales, then turn
    /// the lanes into groups for the high-bit mask and the 2-bit packing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FinishLanes(ReadOnlySpan<Vector512<float>> xt, Span<Vector512<int>> lt, Span<byte> y)
    {
        var packed = y.Slice(ScalesOffset, 12);
        Span<float> groupScale = stackalloc float[16];
        float dAll = ReadHalf(y[DOffset..]);
        for (int j = 0; j < 16; j++)
        {
            groupScale[j] = dAll * UnpackScale(packed, j);
        }
        var d = Vector512.Create<float>(groupScale);
        var valid = ~Vector512.Equals(d, Vector512<float>.Zero).AsInt32();
        for (int i = 0; i < 16; i++)
        {
            var l = LaneFitting.NearestInt(xt[i] / d);
            l = Vector512.Min(Vector512.Max(l, Vector512.Create(-4)), Vector512.Create(3)) + Vector512.Create(4);
            lt[i] = Vector512.ConditionalSelect(valid, l, lt[i]);
        }
        Span<Vector512<int>> groups = stackalloc Vector512<int>[16];
        LaneFitting.TransposeSquare(lt, groups);
        // Element j = 16g + i has its high bit in hmask[j % 32], bit j / 32: even groups fill bytes 0..15, odd 16..31.
        var three = Vector512.Create(3);
        var four = Vector512.Create(4);
        var hmLow = Vector512<int>.Zero;
        var hmHigh = Vector512<int>.Zero;
        for (int b = 0; b < 8; b++)
        {
            var bit = Vector512.Create(1 << b);
            var high0 = Vector512.GreaterThan(groups[2 * b], three);
            var high1 = Vector512.GreaterThan(groups[2 * b + 1], three);
            hmLow |= high0 & bit;
            hmHigh |= high1 & bit;
            groups[2 * b] -= high0 & four;
            groups[2 * b + 1] -= high1 & four;
        }
        LaneFitting.StoreLowBytes(hmLow, y.Slice(HMaskOffset, 16));
        LaneFitting.StoreLowBytes(hmHigh, y.Slice(HMaskOffset + 16, 16));
        LaneFitting.PackTwoBitGroups(groups, y.Slice(QuantsOffset, Qk / 4));
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

    // Requantizes from the rounded F16 scale, splits off the high bits and packs, as both ggml paths end (scalar fallback).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
