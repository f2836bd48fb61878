using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// The part Q4_K and Q5_K share: fitting eight groups of 32 with a scale and a min each, packing the 6-bit scales
/// and mins, and requantizing from the rounded F16 super-scales. Block layout: d, dmin, scales[12], then quants.
/// </summary>
internal static class KQuantFitting
{
    private const int Qk = 256;
    private const int ScalesOffset = 4;

    /// <summary>quantize_row_q4_K_ref / q5_K_ref up to the requantization: make_qkx2 per group, max-based 6-bit scales.</summary>
    public static void FitReference(ReadOnlySpan<float> x, Span<byte> y, Span<byte> levels, int nmax, float rmin, float rdelta, int nstep)
    {
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[Qk / 32];
        Span<float> scales = stackalloc float[Qk / 32];
        Span<byte> ls = stackalloc byte[Qk / 32];
        Span<byte> lm = stackalloc byte[Qk / 32];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < Qk / 32; j++)
        {
            var xb = x.Slice(32 * j, 32);
            float sumX2 = SumOfSquares(xb);
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++)
            {
                weights[l] = avX + MathF.Abs(xb[l]);
            }
            scales[j] = MakeQkx2Quants(32, nmax, xb, weights, levels.Slice(32 * j, 32), out mins[j], scratch, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale)
            {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin)
            {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        for (int j = 0; j < Qk / 32; j++)
        {
            ls[j] = Math.Min((byte)63, (byte)NearestInt(invScale * scales[j]));
            lm[j] = Math.Min((byte)63, (byte)NearestInt(invMin * mins[j]));
        }
        PackScaleMinK4(ls, lm, y.Slice(ScalesOffset, 12));
        WriteHalf(y, maxScale / 63.0f);
        WriteHalf(y[2..], maxMin / 63.0f);
    }

    /// <summary>
    /// quantize_row_q4_K_impl / q5_K_impl up to the requantization: make_qkx3 per group, make_qp for the scales.
    /// Only Q5_K clamps the scale levels to 63 again before packing (they can exceed it only after a negative fit).
    /// </summary>
    public static void FitWeighted(ReadOnlySpan<float> x, Span<byte> y, Span<byte> levels, int nmax, ReadOnlySpan<float> quantWeights, bool clampScaleLevels)
    {
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> sw = stackalloc float[Qk / 32];
        Span<float> mins = stackalloc float[Qk / 32];
        Span<float> scales = stackalloc float[Qk / 32];
        Span<byte> ls = stackalloc byte[Qk / 32];
        Span<byte> lm = stackalloc byte[Qk / 32];
        float sigma2 = 2 * SumOfSquares(x) / Qk;
        for (int j = 0; j < Qk / 32; j++)
        {
            var xb = x.Slice(32 * j, 32);
            var qw = quantWeights.Slice(32 * j, 32);
            for (int l = 0; l < 32; l++)
            {
                weights[l] = qw[l] * MathF.Sqrt(sigma2 + xb[l] * xb[l]);
            }
            float sumw = 0;
            for (int l = 0; l < 32; l++)
            {
                sumw += weights[l];
            }
            sw[j] = sumw;
            scales[j] = MakeQkx3Quants(32, nmax, xb, weights, levels.Slice(32 * j, 32), out mins[j], scratch, -0.9f, 0.05f, 36, false);
        }
        float dBlock = MakeQpQuants(Qk / 32, 63, scales, ls, sw);
        float mBlock = MakeQpQuants(Qk / 32, 63, mins, lm, sw);
        if (clampScaleLevels)
        {
            for (int j = 0; j < Qk / 32; j++)
            {
                ls[j] = Math.Min((byte)63, ls[j]);
                lm[j] = Math.Min((byte)63, lm[j]);
            }
        }
        PackScaleMinK4(ls, lm, y.Slice(ScalesOffset, 12));
        WriteHalf(y, dBlock);
        WriteHalf(y[2..], mBlock);
    }

    /// <summary>Levels from the stored 6-bit scales and mins and the rounded F16 super-scales; groups with a zero scale keep their fit.</summary>
    public static void RequantizeFromScales(ReadOnlySpan<float> x, ReadOnlySpan<byte> y, Span<byte> levels, int nmax)
    {
        float dAll = ReadHalf(y);
        float mAll = ReadHalf(y[2..]);
        var scales = y.Slice(ScalesOffset, 12);
        for (int j = 0; j < Qk / 32; j++)
        {
            GetScaleMinK4(j, scales, out byte sc, out byte m);
            float d = dAll * sc;
            if (d == 0)
            {
                continue;
            }
            float dm = mAll * m;
            for (int ii = 0; ii < 32; ii++)
            {
                int l = NearestInt((x[32 * j + ii] + dm) / d);
                levels[32 * j + ii] = (byte)Math.Max(0, Math.Min(nmax, l));
            }
        }
    }

    /// <summary>
    /// <see cref="FitReference"/> and <see cref="RequantizeFromScales"/> for one or two super-blocks at once, their
    /// 16 groups searched in parallel lanes (<see cref="LaneFitting"/>). Fills the scales of each block in
    /// <paramref name="y"/> and the final levels in <paramref name="groups"/>: vector g holds elements 0..15 of group
    /// g (block g / 8), vector 16 + g elements 16..31.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FitReferenceLanes(ReadOnlySpan<float> x, Span<byte> y, int blockBytes, int blockCount, Span<Vector512<int>> groups,
        int nmax, float rmin, float rdelta, int nstep)
    {
        Span<Vector512<float>> xt = stackalloc Vector512<float>[32];
        Span<Vector512<float>> wt = stackalloc Vector512<float>[32];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[32];
        LaneFitting.Transpose(x, 32, 32, blockCount * (Qk / 32), xt);
        var sumX2 = Vector512<float>.Zero;
        for (int i = 0; i < 32; i++)
        {
            sumX2 += xt[i] * xt[i];
        }
        var avX = Vector512.Sqrt(sumX2 / Vector512.Create(32f));
        for (int i = 0; i < 32; i++)
        {
            wt[i] = avX + Vector512.Abs(xt[i]);
        }
        LaneFitting.Qkx2(xt, wt, 32, nmax, lt, out var scaleVector, out var minVector, rmin, rdelta, nstep, false);

        Span<float> scales = stackalloc float[LaneFitting.Lanes];
        Span<float> mins = stackalloc float[LaneFitting.Lanes];
        scaleVector.CopyTo(scales);
        minVector.CopyTo(mins);
        Span<byte> ls = stackalloc byte[Qk / 32];
        Span<byte> lm = stackalloc byte[Qk / 32];
        for (int b = 0; b < blockCount; b++)
        {
            var block = y.Slice(b * blockBytes, blockBytes);
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < Qk / 32; j++)
            {
                if (scales[b * 8 + j] > maxScale)
                {
                    maxScale = scales[b * 8 + j];
                }
                if (mins[b * 8 + j] > maxMin)
                {
                    maxMin = mins[b * 8 + j];
                }
            }
            float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
            float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
            for (int j = 0; j < Qk / 32; j++)
            {
                ls[j] = Math.Min((byte)63, (byte)NearestInt(invScale * scales[b * 8 + j]));
                lm[j] = Math.Min((byte)63, (byte)NearestInt(invMin * mins[b * 8 + j]));
            }
            PackScaleMinK4(ls, lm, block.Slice(ScalesOffset, 12));
            WriteHalf(block, maxScale / 63.0f);
            WriteHalf(block[2..], maxMin / 63.0f);
        }
        FinishLanes(xt, lt, y, blockBytes, blockCount, groups, nmax);
    }

    /// <summary>
    /// <see cref="FitWeighted"/> and <see cref="RequantizeFromScales"/> for one or two super-blocks at once, with
    /// <paramref name="quantWeights"/> holding the importance of each block's columns in turn. Levels come out as in
    /// <see cref="FitReferenceLanes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FitWeightedLanes(ReadOnlySpan<float> x, ReadOnlySpan<float> quantWeights, Span<byte> y, int blockBytes, int blockCount,
        Span<Vector512<int>> groups, int nmax, bool clampScaleLevels)
    {
        int laneCount = blockCount * (Qk / 32);
        Span<Vector512<float>> xt = stackalloc Vector512<float>[32];
        Span<Vector512<float>> wt = stackalloc Vector512<float>[32];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[32];
        Span<float> sigma = stackalloc float[LaneFitting.Lanes];
        for (int b = 0; b < blockCount; b++)
        {
            float sigma2 = 2 * SumOfSquares(x.Slice(b * Qk, Qk)) / Qk;
            sigma.Slice(b * 8, 8).Fill(sigma2);
        }
        LaneFitting.Transpose(x, 32, 32, laneCount, xt);
        LaneFitting.Transpose(quantWeights, 32, 32, laneCount, wt);
        var sigmaVector = Vector512.Create<float>(sigma);
        var sumW = Vector512<float>.Zero;
        for (int i = 0; i < 32; i++)
        {
            wt[i] *= Vector512.Sqrt(sigmaVector + xt[i] * xt[i]);
            sumW += wt[i];
        }
        LaneFitting.Qkx3(xt, wt, 32, nmax, lt, out var scaleVector, out var minVector, -0.9f, 0.05f, 36, false);

        Span<float> scales = stackalloc float[LaneFitting.Lanes];
        Span<float> mins = stackalloc float[LaneFitting.Lanes];
        Span<float> sw = stackalloc float[LaneFitting.Lanes];
        scaleVector.CopyTo(scales);
        minVector.CopyTo(mins);
        sumW.CopyTo(sw);
        Span<byte> ls = stackalloc byte[Qk / 32];
        Span<byte> lm = stackalloc byte[Qk / 32];
        for (int b = 0; b < blockCount; b++)
        {
            var block = y.Slice(b * blockBytes, blockBytes);
            var blockWeights = sw.Slice(b * 8, 8);
            float dBlock = MakeQpQuants(Qk / 32, 63, scales.Slice(b * 8, 8), ls, blockWeights);
            float mBlock = MakeQpQuants(Qk / 32, 63, mins.Slice(b * 8, 8), lm, blockWeights);
            if (clampScaleLevels)
            {
                for (int j = 0; j < Qk / 32; j++)
                {
                    ls[j] = Math.Min((byte)63, ls[j]);
                    lm[j] = Math.Min((byte)63, lm[j]);
                }
            }
            PackScaleMinK4(ls, lm, block.Slice(ScalesOffset, 12));
            WriteHalf(block, dBlock);
            WriteHalf(block[2..], mBlock);
        }
        FinishLanes(xt, lt, y, blockBytes, blockCount, groups, nmax);
    }

    // The requantization of RequantizeFromScales with one group per lane, then per-group vectors for packing.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FinishLanes(ReadOnlySpan<Vector512<float>> xt, Span<Vector512<int>> lt, ReadOnlySpan<byte> y, int blockBytes, int blockCount,
        Span<Vector512<int>> groups, int nmax)
    {
        Span<float> scale = stackalloc float[LaneFitting.Lanes];
        Span<float> offset = stackalloc float[LaneFitting.Lanes];
        for (int b = 0; b < blockCount; b++)
        {
            var block = y.Slice(b * blockBytes, blockBytes);
            float dAll = ReadHalf(block);
            float mAll = ReadHalf(block[2..]);
            for (int j = 0; j < Qk / 32; j++)
            {
                GetScaleMinK4(j, block.Slice(ScalesOffset, 12), out byte sc, out byte m);
                scale[b * 8 + j] = dAll * sc;
                offset[b * 8 + j] = mAll * m;
            }
        }
        var d = Vector512.Create<float>(scale);
        var dm = Vector512.Create<float>(offset);
        var valid = ~Vector512.Equals(d, Vector512<float>.Zero).AsInt32();
        for (int i = 0; i < 32; i++)
        {
            var l = LaneFitting.NearestInt((xt[i] + dm) / d);
            l = Vector512.Min(Vector512.Max(l, Vector512<int>.Zero), Vector512.Create(nmax));
            lt[i] = Vector512.ConditionalSelect(valid, l, lt[i]);
        }
        LaneFitting.TransposeSquare(lt[..16], groups[..16]);
        LaneFitting.TransposeSquare(lt[16..], groups[16..]);
    }
}
