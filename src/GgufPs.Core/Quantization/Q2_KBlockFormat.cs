using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q2_K: 256 weights in 16 groups of 16, 2-bit levels with a 4-bit scale and 4-bit min per group and F16 super-scales
/// (84 bytes: scales[16], qs[64], d, dmin).
/// </summary>
internal sealed class Q2_KBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 84;
    private const int ScalesOffset = 0;
    private const int QuantsOffset = 16;
    private const int DOffset = 80;
    private const int DMinOffset = 82;

    internal Q2_KBlockFormat() : base(GgmlType.Q2_K, GgmlType.Q8_K)
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

    // quantize_row_q2_K_ref, one super-block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> levels = stackalloc byte[Qk];
        Span<byte> scratch = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[Qk / 16];
        Span<float> scales = stackalloc float[Qk / 16];
        const float q4scale = 15.0f;

        Span<Vector512<float>> xt = stackalloc Vector512<float>[16];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[16];
        bool lanes = LaneFitting.IsSupported;
        if (lanes)
        {
            Span<Vector512<float>> wt = stackalloc Vector512<float>[16];
            LaneFitting.Transpose(x, 16, 16, 16, xt);
            for (int l = 0; l < 16; l++)
            {
                wt[l] = Vector512.Abs(xt[l]);
            }
            LaneFitting.Qkx2(xt, wt, 16, 3, lt, out var scaleVector, out var minVector, -0.5f, 0.1f, 15, true);
            scaleVector.CopyTo(scales);
            minVector.CopyTo(mins);
        }
        else
        {
            for (int j = 0; j < Qk / 16; j++)
            {
                for (int l = 0; l < 16; l++)
                {
                    weights[l] = MathF.Abs(x[16 * j + l]);
                }
                scales[j] = MakeQkx2Quants(16, 3, x.Slice(16 * j, 16), weights, levels.Slice(16 * j, 16), out mins[j], scratch, -0.5f, 0.1f, 15, true);
            }
        }
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < Qk / 16; j++)
        {
            if (scales[j] > maxScale)
            {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin)
            {
                maxMin = mins[j];
            }
        }

        var packedScales = y.Slice(ScalesOffset, Qk / 16);
        if (maxScale > 0)
        {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < Qk / 16; j++)
            {
                packedScales[j] = (byte)NearestInt(iscale * scales[j]);
            }
            WriteHalf(y[DOffset..], maxScale / q4scale);
        }
        else
        {
            packedScales.Clear();
            WriteHalf(y[DOffset..], 0.0f);
        }
        if (maxMin > 0)
        {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < Qk / 16; j++)
            {
                int l = NearestInt(iscale * mins[j]);
                packedScales[j] |= (byte)(l << 4);
            }
            WriteHalf(y[DMinOffset..], maxMin / q4scale);
        }
        else
        {
            WriteHalf(y[DMinOffset..], 0.0f);
        }
        Finish(x, y, levels, xt, lt, lanes);
    }

    // quantize_row_q2_K_impl, one super-block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeWeighted(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> quantWeights)
    {
        Span<byte> levels = stackalloc byte[Qk];
        Span<byte> scratch = stackalloc byte[16];
        Span<float> mins = stackalloc float[Qk / 16];
        Span<float> scales = stackalloc float[Qk / 16];
        Span<float> sw = stackalloc float[Qk / 16];
        Span<float> weight = stackalloc float[16];
        Span<byte> ls = stackalloc byte[Qk / 16];
        Span<byte> lm = stackalloc byte[Qk / 16];

        float sigma2 = SumOfSquares(x) / Qk;
        Span<Vector512<float>> xt = stackalloc Vector512<float>[16];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[16];
        bool lanes = LaneFitting.IsSupported;
        if (lanes)
        {
            Span<Vector512<float>> wt = stackalloc Vector512<float>[16];
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
            LaneFitting.Qkx3(xt, wt, 16, 3, lt, out var scaleVector, out var minVector, -0.9f, 0.05f, 36, false);
            scaleVector.CopyTo(scales);
            minVector.CopyTo(mins);
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
                for (int l = 0; l < Qk / 16; l++)
                {
                    sw[j] += weight[l];
                }
                scales[j] = MakeQkx3Quants(16, 3, x.Slice(16 * j, 16), weight, levels.Slice(16 * j, 16), out mins[j], scratch, -0.9f, 0.05f, 36, false);
            }
        }

        float dm = MakeQpQuants(Qk / 16, 15, scales, ls, sw);
        float mm = MakeQpQuants(Qk / 16, 15, mins, lm, sw);
        WriteHalf(y[DOffset..], dm);
        WriteHalf(y[DMinOffset..], mm);
        for (int j = 0; j < Qk / 16; j++)
        {
            y[ScalesOffset + j] = (byte)(ls[j] | (lm[j] << 4));
        }
        Finish(x, y, levels, xt, lt, lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish(ReadOnlySpan<float> x, Span<byte> y, Span<byte> levels, ReadOnlySpan<Vector512<float>> xt, Span<Vector512<int>> lt, bool lanes)
    {
        if (!lanes)
        {
            Requantize(x, y, levels);
            Pack(levels, y);
            return;
        }
        // The same requantization with one group per lane, then per-group vectors for the 2-bit packing.
        Span<float> scale = stackalloc float[16];
        Span<float> offset = stackalloc float[16];
        float dAll = ReadHalf(y[DOffset..]);
        float mAll = ReadHalf(y[DMinOffset..]);
        for (int j = 0; j < 16; j++)
        {
            byte sc = y[ScalesOffset + j];
            scale[j] = dAll * (sc & 0xF);
            offset[j] = mAll * (sc >> 4);
        }
        var d = Vector512.Create<float>(scale);
        var dm = Vector512.Create<float>(offset);
        var valid = ~Vector512.Equals(d, Vector512<float>.Zero).AsInt32();
        for (int i = 0; i < 16; i++)
        {
            var l = LaneFitting.NearestInt((xt[i] + dm) / d);
            l = Vector512.Min(Vector512.Max(l, Vector512<int>.Zero), Vector512.Create(3));
            lt[i] = Vector512.ConditionalSelect(valid, l, lt[i]);
        }
        Span<Vector512<int>> groups = stackalloc Vector512<int>[16];
        LaneFitting.TransposeSquare(lt, groups);
        LaneFitting.PackTwoBitGroups(groups, y.Slice(QuantsOffset, Qk / 4));
    }

    // Levels again from the rounded F16 super-scales, as both ggml paths do.
    private static void Requantize(ReadOnlySpan<float> x, ReadOnlySpan<byte> y, Span<byte> levels)
    {
        float dAll = ReadHalf(y[DOffset..]);
        float mAll = ReadHalf(y[DMinOffset..]);
        for (int j = 0; j < Qk / 16; j++)
        {
            byte sc = y[ScalesOffset + j];
            float d = dAll * (sc & 0xF);
            if (d == 0)
            {
                continue;
            }
            float dm = mAll * (sc >> 4);
            for (int ii = 0; ii < 16; ii++)
            {
                int l = NearestInt((x[16 * j + ii] + dm) / d);
                levels[16 * j + ii] = (byte)Math.Max(0, Math.Min(3, l));
            }
        }
    }

    private static void Pack(ReadOnlySpan<byte> levels, Span<byte> y)
    {
        for (int j = 0; j < Qk; j += 128)
        {
            for (int l = 0; l < 32; l++)
            {
                y[QuantsOffset + j / 4 + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 2) | (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            var y = destination.Slice(i * Qk, Qk);
            float d = ReadHalf(x[DOffset..]);
            float min = ReadHalf(x[DMinOffset..]);
            int o = 0;
            int scaleIndex = 0;
            for (int n = 0; n < Qk; n += 128)
            {
                var q = x.Slice(QuantsOffset + n / 4, 32);
                for (int shift = 0; shift < 8; shift += 2)
                {
                    byte sc = x[ScalesOffset + scaleIndex++];
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++)
                    {
                        y[o++] = dl * ((q[l] >> shift) & 3) - ml;
                    }
                    sc = x[ScalesOffset + scaleIndex++];
                    dl = d * (sc & 0xF);
                    ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++)
                    {
                        y[o++] = dl * ((q[l + 16] >> shift) & 3) - ml;
                    }
                }
            }
        }
    }
}
