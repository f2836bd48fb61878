using System.Runtime.CompilerServices;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ3_S: 256 weights as 8 groups of 32, each group eight points of the 512-point 3-bit grid (4 coordinates each)
/// with all 8 sign bits per 8 values and a 4-bit scale, under an F16 super-scale (110 bytes: d, qs[64] index low
/// bytes, qh[8] index high bits, signs[32], scales[4]).
/// </summary>
internal sealed class IQ3_SBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 110;
    private const int LevelCount = 8;
    private const int GroupSize = 32;

    internal IQ3_SBlockFormat() : base(GgmlType.IQ3_S, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    // quantize_row_iq3_s_impl with ggml's block size of 32.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        var grid = LatticeGrid.Iq3S;
        Span<float> scales = stackalloc float[Qk / GroupSize];
        Span<float> weight = stackalloc float[GroupSize];
        Span<float> xval = stackalloc float[GroupSize];
        Span<float> waux = stackalloc float[GroupSize];
        Span<sbyte> levels = stackalloc sbyte[GroupSize];
        Span<bool> onGrid = stackalloc bool[GroupSize / 4];
        Span<byte> signs = stackalloc byte[GroupSize / 8];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var y = destination.Slice(ibl * Bytes, Bytes);
            y.Clear();
            var qh = y.Slice(66, 8);
            var packedScales = y.Slice(106, 4);
            // ggml advances its index and sign pointers only past groups it quantized: after an all-zero group the
            // following groups' indices and signs land one group earlier. The files carry this, so it is kept.
            int qsOffset = 2;
            int signsOffset = 74;
            var xbl = row.Slice(ibl * Qk, Qk);
            float maxScale = 0;
            float sigma2 = 2 * SumOfSquares(xbl) / Qk;
            for (int ib = 0; ib < Qk / GroupSize; ib++)
            {
                var xb = xbl.Slice(GroupSize * ib, GroupSize);
                if (!importance.IsEmpty)
                {
                    var qw = importance.Slice(Qk * ibl + GroupSize * ib, GroupSize);
                    for (int i = 0; i < GroupSize; i++)
                    {
                        weight[i] = qw[i] * MathF.Sqrt(sigma2 + xb[i] * xb[i]);
                    }
                }
                else
                {
                    for (int i = 0; i < GroupSize; i++)
                    {
                        weight[i] = xb[i] * xb[i];
                    }
                }
                for (int i = 0; i < GroupSize; i++)
                {
                    waux[i] = MathF.Sqrt(weight[i]);
                }
                for (int k = 0; k < GroupSize / 8; k++)
                {
                    signs[k] = SignFolding.All(xb.Slice(8 * k, 8), xval.Slice(8 * k, 8));
                }
                float max = xval[0];
                for (int i = 1; i < GroupSize; i++)
                {
                    max = max > xval[i] ? max : xval[i];
                }
                levels.Clear();
                if (max == 0)
                {
                    scales[ib] = 0;
                    continue;
                }
                float scale = max / (2 * LevelCount - 1);
                onGrid.Clear();
                scale = GridProjection.SearchScales(grid, xval, waux, weight, max, 0.2f, 9, LevelCount, scale, levels, onGrid);
                // Unlike IQ3_XXS, every group is projected again at the final scale.
                if (onGrid.Contains(false) && scale > 0)
                {
                    GridProjection.Project(grid, xval, waux, 1 / scale, scale, LevelCount, levels, default);
                    GridProjection.Sums(weight, xval, levels, out float sumqx, out float sumq2);
                    if (sumq2 > 0)
                    {
                        scale = sumqx / sumq2;
                    }
                }
                if (scale < 0)
                {
                    scale = -scale;
                    for (int k = 0; k < GroupSize / 8; k++)
                    {
                        signs[k] = (byte)~signs[k];
                    }
                }
                for (int k = 0; k < GroupSize / 4; k++)
                {
                    int index = GridProjection.IndexOf(grid, levels.Slice(4 * k, 4));
                    y[qsOffset + k] = (byte)index;
                    int position = ib * (GroupSize / 4) + k;
                    qh[position / 8] |= (byte)((index >> 8) << position % 8);
                }
                qsOffset += GroupSize / 4;
                signs.CopyTo(y.Slice(signsOffset));
                signsOffset += GroupSize / 8;
                if (!(scale >= 0))
                {
                    throw LatticeGrid.SearchFailed();
                }
                scales[ib] = scale;
                maxScale = maxScale > scale ? maxScale : scale;
            }
            if (maxScale == 0)
            {
                continue;
            }
            float d = maxScale / 31;
            // ggml's fudge factor.
            WriteHalf(y, d * 1.033f);
            float inverse = 1 / d;
            for (int ib = 0; ib < Qk / GroupSize; ib += 2)
            {
                int l1 = NearestInt(0.5f * (inverse * scales[ib] - 1));
                l1 = Math.Max(0, Math.Min(15, l1));
                int l2 = NearestInt(0.5f * (inverse * scales[ib + 1] - 1));
                l2 = Math.Max(0, Math.Min(15, l2));
                packedScales[ib / 2] = (byte)(l1 | l2 << 4);
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var grid = LatticeGrid.Iq3S;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                int packed = x[106 + ib / 2];
                float db = d * (1 + 2 * (ib % 2 == 0 ? packed & 0xf : packed >> 4));
                int high = x[66 + ib];
                for (int l = 0; l < 4; l++)
                {
                    var first = grid.Point(x[2 + 8 * ib + 2 * l] | (high << (8 - 2 * l) & 256));
                    var second = grid.Point(x[2 + 8 * ib + 2 * l + 1] | (high << (7 - 2 * l) & 256));
                    int signs = x[74 + 4 * ib + l];
                    var yb = y.Slice(32 * ib + 8 * l, 8);
                    // iq3s_grid stores the coordinates themselves, 2·level + 1.
                    for (int j = 0; j < 4; j++)
                    {
                        yb[j] = db * first[j] * ((signs & 1 << j) != 0 ? -1f : 1f);
                        yb[j + 4] = db * second[j] * ((signs & 1 << (j + 4)) != 0 ? -1f : 1f);
                    }
                }
            }
        }
    }
}
