using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ1_S: 256 weights as 8 groups of 32, each group four points of the 2048-point ternary grid (values −1, 0, 1 all
/// shifted by ±1/8) with a 3-bit scale and the shift's sign, under an F16 super-scale (50 bytes: d, qs[32] index low
/// bytes, qh[8] as uint16: index high bits, scale, shift). Needs importance weights.
/// </summary>
internal sealed class IQ1_SBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 50;
    private const int GroupSize = 32;
    private const float GroupMaxEpsIq1S = 1e-12f;

    internal IQ1_SBlockFormat() : base(GgmlType.IQ1_S, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    public override bool RequiresImportance => true;

    // quantize_row_iq1_s_impl.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        var grid = LatticeGrid.Iq1;
        var up = TernaryGridSearch.ShiftedUp;
        var down = TernaryGridSearch.ShiftedDown;
        Span<float> scales = stackalloc float[Qk / GroupSize];
        Span<int> shifts = stackalloc int[Qk / GroupSize];
        Span<float> weight = stackalloc float[GroupSize];
        Span<float> sumx = stackalloc float[GroupSize + 1];
        Span<float> sumw = stackalloc float[GroupSize + 1];
        Span<int> order = stackalloc int[GroupSize];
        Span<int> scratch = stackalloc int[GroupSize];
        Span<sbyte> levels = stackalloc sbyte[GroupSize];
        Span<int> index = stackalloc int[GroupSize / 8];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var y = destination.Slice(ibl * Bytes, Bytes);
            y.Clear();
            var qs = y.Slice(2, 32);
            var xbl = row.Slice(ibl * Qk, Qk);
            float maxScale = 0;
            float sigma2 = 2 * SumOfSquares(xbl) / Qk;
            for (int ib = 0; ib < Qk / GroupSize; ib++)
            {
                var xb = xbl.Slice(GroupSize * ib, GroupSize);
                var qw = importance.Slice(Qk * ibl + GroupSize * ib, GroupSize);
                for (int i = 0; i < GroupSize; i++)
                {
                    weight[i] = qw[i] * MathF.Sqrt(sigma2 + xb[i] * xb[i]);
                }
                float max = MathF.Abs(xb[0]);
                for (int i = 1; i < GroupSize; i++)
                {
                    float ax = MathF.Abs(xb[i]);
                    max = max > ax ? max : ax;
                }
                if (max < GroupMaxEpsIq1S)
                {
                    scales[ib] = 0;
                    shifts[ib] = 1;
                    continue;
                }
                // With three levels the weighted least-squares problem is solved exactly: sort the values, and try
                // every pair of split points with prefix sums of w·x and w.
                TernaryGridSearch.SortOrder(xb, order, scratch);
                sumx[0] = sumw[0] = 0;
                for (int j = 0; j < GroupSize; j++)
                {
                    int i = order[j];
                    sumx[j + 1] = sumx[j] + weight[i] * xb[i];
                    sumw[j + 1] = sumw[j] + weight[i];
                }
                float bestScore = -float.MaxValue;
                float scale = max;
                int besti1 = -1, besti2 = -1, bestShift = 0;
                float up0 = up[0], up1 = up[1], up2 = up[2];
                float down0 = down[0], down1 = down[1], down2 = down[2];
                float totalX = sumx[GroupSize], totalW = sumw[GroupSize];
                for (int i1 = 0; i1 <= GroupSize; i1++)
                {
                    // The first run's terms do not depend on i2.
                    float lowX = sumx[i1] - sumx[0], lowW = sumw[i1] - sumw[0];
                    float lowXUp = lowX * up0, lowWUp = lowW * up0 * up0;
                    float lowXDown = lowX * down0, lowWDown = lowW * down0 * down0;
                    for (int i2 = i1; i2 <= GroupSize; i2++)
                    {
                        float midX = sumx[i2] - sumx[i1], midW = sumw[i2] - sumw[i1];
                        float highX = totalX - sumx[i2], highW = totalW - sumw[i2];
                        float sumqx = lowXUp + midX * up1 + highX * up2;
                        float sumq2 = lowWUp + midW * up1 * up1 + highW * up2 * up2;
                        if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2)
                        {
                            scale = sumqx / sumq2;
                            bestScore = scale * sumqx;
                            besti1 = i1;
                            besti2 = i2;
                            bestShift = 1;
                        }
                        sumqx = lowXDown + midX * down1 + highX * down2;
                        sumq2 = lowWDown + midW * down1 * down1 + highW * down2 * down2;
                        if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2)
                        {
                            scale = sumqx / sumq2;
                            bestScore = scale * sumqx;
                            besti1 = i1;
                            besti2 = i2;
                            bestShift = -1;
                        }
                    }
                }
                if (besti1 < 0 || besti2 < 0 || bestShift == 0)
                {
                    scales[ib] = 0;
                    shifts[ib] = 1;
                    continue;
                }
                for (int j = 0; j < besti1; j++)
                {
                    levels[order[j]] = 0;
                }
                for (int j = besti1; j < besti2; j++)
                {
                    levels[order[j]] = 1;
                }
                for (int j = besti2; j < GroupSize; j++)
                {
                    levels[order[j]] = 2;
                }
                if (scale < 0)
                {
                    for (int j = 0; j < GroupSize; j++)
                    {
                        levels[j] = (sbyte)(2 - levels[j]);
                    }
                    scale = -scale;
                    bestShift = -bestShift;
                }
                bool allOnGrid = true;
                var shifted = TernaryGridSearch.Levels(bestShift == 1);
                for (int k = 0; k < GroupSize / 8; k++)
                {
                    var group = levels.Slice(8 * k, 8);
                    int code = grid.Code(group);
                    if (!grid.TryGetIndex(code, out index[k]))
                    {
                        allOnGrid = false;
                        index[k] = grid.BestShiftedNeighbour(code, xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), scale, shifted, group);
                    }
                }
                if (!allOnGrid)
                {
                    float sumqx = 0, sumq2 = 0;
                    for (int k = 0; k < GroupSize / 8; k++)
                    {
                        var pg = grid.Point(index[k]);
                        for (int j = 0; j < 8; j++)
                        {
                            float w = weight[8 * k + j];
                            float q = shifted[(pg[j] - 1) / 2];
                            sumqx += w * q * xb[8 * k + j];
                            sumq2 += w * q * q;
                        }
                    }
                    if (sumqx > 0 && sumq2 > 0)
                    {
                        scale = sumqx / sumq2;
                    }
                }
                int high = 0;
                for (int k = 0; k < GroupSize / 8; k++)
                {
                    qs[GroupSize / 8 * ib + k] = (byte)index[k];
                    high |= (index[k] >> 8) << 3 * k;
                }
                BinaryPrimitives.WriteUInt16LittleEndian(y.Slice(34 + 2 * ib), (ushort)high);
                if (!(scale >= 0))
                {
                    throw LatticeGrid.SearchFailed();
                }
                scales[ib] = scale;
                shifts[ib] = bestShift;
                maxScale = maxScale > scale ? maxScale : scale;
            }
            if (maxScale == 0)
            {
                continue;
            }
            float d = maxScale / 15;
            // ggml's fudge factor.
            WriteHalf(y, d * 1.125f);
            float inverse = 1 / d;
            for (int ib = 0; ib < Qk / GroupSize; ib++)
            {
                int l = NearestInt(0.5f * (inverse * scales[ib] - 1));
                l = Math.Max(0, Math.Min(7, l));
                if (shifts[ib] == -1)
                {
                    l |= 8;
                }
                var qh = y.Slice(34 + 2 * ib);
                BinaryPrimitives.WriteUInt16LittleEndian(qh, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(qh) | l << 12));
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var grid = LatticeGrid.Iq1;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                int qh = BinaryPrimitives.ReadUInt16LittleEndian(x.Slice(34 + 2 * ib));
                float dl = d * (2 * ((qh >> 12) & 7) + 1);
                float delta = (qh & 0x8000) != 0 ? -TernaryGridSearch.Delta : TernaryGridSearch.Delta;
                for (int l = 0; l < 4; l++)
                {
                    // iq1s_grid stores the levels as −1, 0, 1.
                    var point = grid.Point(x[2 + 4 * ib + l] | ((qh >> 3 * l) & 7) << 8);
                    var yb = y.Slice(32 * ib + 8 * l, 8);
                    for (int j = 0; j < 8; j++)
                    {
                        yb[j] = dl * ((point[j] - 1) / 2 - 1 + delta);
                    }
                }
            }
        }
    }
}
