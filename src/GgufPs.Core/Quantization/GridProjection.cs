using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// The steps the IQ2 and IQ3 quantizers share: rounding magnitudes to grid levels at a trial scale and moving each
/// group that lands off the grid to its best neighbour, and the weighted sums that score a choice of levels.
/// </summary>
internal static class GridProjection
{
    /// <summary>
    /// Levels for inverse scale <paramref name="inverseScale"/>: nearest_int(0.5·(id·x − 1)) clamped to
    /// [0, <paramref name="levelCount"/> − 1], then every group (of the grid's dimension) whose levels are off the grid
    /// replaced by the nearest candidate at <paramref name="scale"/>. <paramref name="onGrid"/>[k] tells whether group
    /// k was on the grid as rounded. Groups with <paramref name="keep"/>[k] set are left alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Project(LatticeGrid grid, ReadOnlySpan<float> xval, ReadOnlySpan<float> waux, float inverseScale, float scale,
        int levelCount, Span<sbyte> levels, Span<bool> onGrid, ReadOnlySpan<bool> keep = default)
    {
        Span<int> rounded = stackalloc int[xval.Length];
        Round(xval, inverseScale, levelCount - 1, rounded);
        int dims = grid.Dimensions;
        int bits = grid.Bits;
        for (int k = 0; k < xval.Length / dims; k++)
        {
            if (!keep.IsEmpty && keep[k])
            {
                continue;
            }
            var group = levels.Slice(dims * k, dims);
            int code = 0;
            for (int i = 0; i < dims; i++)
            {
                int l = rounded[dims * k + i];
                group[i] = (sbyte)l;
                code |= l << bits * i;
            }
            bool on = grid.TryGetIndex(code, out _);
            if (!on)
            {
                grid.BestNeighbour(code, xval.Slice(dims * k, dims), waux.Slice(dims * k, dims), scale, group);
            }
            if (!onGrid.IsEmpty)
            {
                onGrid[k] = on;
            }
        }
    }

    // nearest_int(0.5·(id·x − 1)) clamped to [0, maxLevel], eight values per vector (the lengths are multiples of 8).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ReadOnlySpan<float> xval, float inverseScale, int maxLevel, Span<int> rounded)
    {
        var id = Vector256.Create(inverseScale);
        var one = Vector256.Create(1f);
        var half = Vector256.Create(0.5f);
        var magic = Vector256.Create(12582912f);
        var mantissa = Vector256.Create(0x007fffff);
        var offset = Vector256.Create(0x00400000);
        var max = Vector256.Create(maxLevel);
        for (int j = 0; j < xval.Length; j += 8)
        {
            var t = half * (id * Vector256.Create(xval.Slice(j, 8)) - one);
            var n = ((t + magic).AsInt32() & mantissa) - offset;
            Vector256.Max(Vector256<int>.Zero, Vector256.Min(max, n)).CopyTo(rounded.Slice(j, 8));
        }
    }

    /// <summary>
    /// The scale search the IQ2 and IQ3 quantizers share: for each step s in [−<paramref name="steps"/>, steps] the
    /// inverse scale (2·levels − 1 + s·<paramref name="stepSize"/>) / <paramref name="divisor"/>, levels projected onto
    /// the grid there, and the least-squares scale Σ w·x·q / Σ w·q² of those levels; the first trial that beats all
    /// before it (by (Σ w·x·q)² / Σ w·q²) wins. On return <paramref name="levels"/> and <paramref name="onGrid"/> hold
    /// the winner's (they are left alone when no trial scores above zero) and the result is its scale, or
    /// <paramref name="scale"/> when none won.
    /// </summary>
    /// <remarks>
    /// ggml scores each trial as it goes. The trials are independent until the comparison, so here all are projected
    /// first and their sums accumulated eight trials to a vector, each lane adding its terms in ggml's order.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SearchScales(LatticeGrid grid, ReadOnlySpan<float> xval, ReadOnlySpan<float> waux, ReadOnlySpan<float> weight,
        float divisor, float stepSize, int steps, int levelCount, float scale, Span<sbyte> levels, Span<bool> onGrid)
    {
        const int MaxValues = 32;
        const int MaxTrials = 32;
        int n = xval.Length;
        int groups = n / grid.Dimensions;
        int trials = 2 * steps + 1;
        Span<sbyte> trialLevels = stackalloc sbyte[MaxTrials * MaxValues];
        Span<bool> trialOnGrid = stackalloc bool[MaxTrials * (MaxValues / 4)];
        // q = 2·level + 1 of value i in trial t at [i·MaxTrials + t].
        Span<float> q = stackalloc float[MaxValues * MaxTrials];
        for (int t = 0; t < trials; t++)
        {
            float id = (2 * levelCount - 1 + (t - steps) * stepSize) / divisor;
            float thisScale = 1 / id;
            var current = trialLevels.Slice(t * n, n);
            Project(grid, xval, waux, id, thisScale, levelCount, current, trialOnGrid.Slice(t * groups, groups));
            for (int i = 0; i < n; i++)
            {
                q[i * MaxTrials + t] = 2 * current[i] + 1;
            }
        }
        Span<float> sumqx = stackalloc float[MaxTrials];
        Span<float> sumq2 = stackalloc float[MaxTrials];
        for (int t0 = 0; t0 < trials; t0 += 8)
        {
            var sx = Vector256<float>.Zero;
            var s2 = Vector256<float>.Zero;
            for (int i = 0; i < n; i++)
            {
                var qi = Vector256.Create<float>(q.Slice(i * MaxTrials + t0, 8));
                var w = Vector256.Create(weight[i]);
                sx += Vector256.Create(weight[i] * xval[i]) * qi;
                s2 += w * qi * qi;
            }
            sx.CopyTo(sumqx.Slice(t0, 8));
            s2.CopyTo(sumq2.Slice(t0, 8));
        }
        float best = 0;
        int winner = -1;
        for (int t = 0; t < trials; t++)
        {
            if (sumq2[t] > 0 && sumqx[t] * sumqx[t] > best * sumq2[t])
            {
                scale = sumqx[t] / sumq2[t];
                best = scale * sumqx[t];
                winner = t;
            }
        }
        if (winner >= 0)
        {
            trialLevels.Slice(winner * n, n).CopyTo(levels);
            trialOnGrid.Slice(winner * groups, groups).CopyTo(onGrid);
        }
        return scale;
    }

    /// <summary>Σ w·x·q and Σ w·q² with q = 2·level + 1, in ggml's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sums(ReadOnlySpan<float> weight, ReadOnlySpan<float> xval, ReadOnlySpan<sbyte> levels, out float sumqx, out float sumq2)
    {
        sumqx = 0;
        sumq2 = 0;
        for (int i = 0; i < xval.Length; i++)
        {
            float w = weight[i];
            float q = 2 * levels[i] + 1;
            sumqx += w * xval[i] * q;
            sumq2 += w * q * q;
        }
    }

    /// <summary>The grid index of each group's levels; ggml aborts when one is off the grid, which cannot happen for finite data.</summary>
    public static int IndexOf(LatticeGrid grid, ReadOnlySpan<sbyte> group)
    {
        if (!grid.TryGetIndex(grid.Code(group), out int index))
        {
            throw LatticeGrid.SearchFailed();
        }
        return index;
    }
}
