using System.Runtime.CompilerServices;
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
        int dims = grid.Dimensions;
        for (int k = 0; k < xval.Length / dims; k++)
        {
            if (!keep.IsEmpty && keep[k])
            {
                continue;
            }
            var group = levels.Slice(dims * k, dims);
            for (int i = 0; i < dims; i++)
            {
                int l = NearestInt(0.5f * (inverseScale * xval[dims * k + i] - 1));
                group[i] = (sbyte)Math.Max(0, Math.Min(levelCount - 1, l));
            }
            int code = grid.Code(group);
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
