using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ1_M: 256 weights as 16 groups of 16, each group two points of IQ1_S's ternary grid with a shift direction per 8
/// values and a 3-bit scale per group; the F16 super-scale is spread over the top nibbles of the scales (56 bytes:
/// qs[32] index low bytes, qh[16] index high bits and shift flags, scales[8]).
/// </summary>
internal sealed class IQ1_MBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 56;
    private const int GroupSize = 16;
    private const float GroupMaxEpsIq1M = 1e-7f;

    // The shift flags of a group's two halves in qh, by the group's shift code (0: up, up; 1: up, down; 2: down, up; 3: down, down).
    private static ReadOnlySpan<byte> ShiftMasks => [0x00, 0x80, 0x08, 0x88];

    internal IQ1_MBlockFormat() : base(GgmlType.IQ1_M, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    // quantize_row_iq1_m_impl.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        var grid = LatticeGrid.Iq1;
        var up = TernaryGridSearch.ShiftedUp;
        var down = TernaryGridSearch.ShiftedDown;
        Span<float> scales = stackalloc float[Qk / GroupSize];
        Span<int> shifts = stackalloc int[Qk / GroupSize];
        Span<float> weight = stackalloc float[GroupSize];
        Span<int> order = stackalloc int[GroupSize];
        Span<int> scratch = stackalloc int[GroupSize];
        Span<sbyte> levels = stackalloc sbyte[GroupSize];
        Span<int> index = stackalloc int[GroupSize / 8];
        Span<Vector128<float>> termX = stackalloc Vector128<float>[3 * GroupSize];
        Span<Vector128<float>> termQ = stackalloc Vector128<float>[3 * GroupSize];
        Span<ushort> sc = stackalloc ushort[4];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var y = destination.Slice(ibl * Bytes, Bytes);
            y.Clear();
            var qs = y[..32];
            var qh = y.Slice(32, 16);
            var xbl = row.Slice(ibl * Qk, Qk);
            float maxScale = 0;
            float sigma2 = 2 * SumOfSquares(xbl) / Qk;
            for (int ib = 0; ib < Qk / GroupSize; ib++)
            {
                var xb = xbl.Slice(GroupSize * ib, GroupSize);
                Weights(xb, importance.IsEmpty ? default : importance.Slice(Qk * ibl + GroupSize * ib, GroupSize), sigma2, weight);
                float max = MathF.Abs(xb[0]);
                for (int i = 1; i < GroupSize; i++)
                {
                    float ax = MathF.Abs(xb[i]);
                    max = max > ax ? max : ax;
                }
                if (max < GroupMaxEpsIq1M)
                {
                    scales[ib] = 0;
                    shifts[ib] = 0;
                    continue;
                }
                // The exact split search of IQ1_S, with each half of the group free to shift either way: for every
                // pair of split points, the four (up/down, up/down) sums are accumulated element by element in sorted
                // order, as ggml does. Its sums over the first two runs are shared by consecutive splits, so only the
                // last run is summed afresh; the additions happen in the same order either way.
                TernaryGridSearch.SortOrder(xb, order, scratch);
                for (int j = 0; j < GroupSize; j++)
                {
                    int i = order[j];
                    // Lane k holds code k: 0 up/up, 1 up/down, 2 down/up, 3 down/down; a value's half picks its shift.
                    bool firstHalf = i < GroupSize / 2;
                    for (int level = 0; level < 3; level++)
                    {
                        var v = firstHalf
                            ? Vector128.Create(up[level], up[level], down[level], down[level])
                            : Vector128.Create(up[level], down[level], up[level], down[level]);
                        var wv = Vector128.Create(weight[i]) * v;
                        termX[3 * j + level] = wv * Vector128.Create(xb[i]);
                        termQ[3 * j + level] = wv * v;
                    }
                }
                float bestScore = -float.MaxValue;
                float scale = max;
                int besti1 = -1, besti2 = -1, bestK = -1;
                var firstX = Vector128<float>.Zero;
                var firstQ = Vector128<float>.Zero;
                for (int i1 = 0; i1 <= GroupSize; i1++)
                {
                    var middleX = firstX;
                    var middleQ = firstQ;
                    for (int i2 = i1; i2 <= GroupSize; i2++)
                    {
                        var sx = middleX;
                        var s2 = middleQ;
                        for (int j = i2; j < GroupSize; j++)
                        {
                            sx += termX[3 * j + 2];
                            s2 += termQ[3 * j + 2];
                        }
                        for (int k = 0; k < 4; k++)
                        {
                            float qx = sx.GetElement(k);
                            float q2 = s2.GetElement(k);
                            if (q2 > 0 && qx * qx > bestScore * q2)
                            {
                                scale = qx / q2;
                                bestScore = scale * qx;
                                besti1 = i1;
                                besti2 = i2;
                                bestK = k;
                            }
                        }
                        if (i2 < GroupSize)
                        {
                            middleX += termX[3 * i2 + 1];
                            middleQ += termQ[3 * i2 + 1];
                        }
                    }
                    if (i1 < GroupSize)
                    {
                        firstX += termX[3 * i1];
                        firstQ += termQ[3 * i1];
                    }
                }
                if (besti1 < 0 || besti2 < 0 || bestK < 0)
                {
                    scales[ib] = 0;
                    shifts[ib] = 0;
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
                    bestK = 3 - bestK;
                }
                bool allOnGrid = true;
                for (int k = 0; k < GroupSize / 8; k++)
                {
                    var shifted = HalfLevels(bestK, k);
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
                    float sx = 0, s2 = 0;
                    for (int k = 0; k < GroupSize / 8; k++)
                    {
                        var shifted = HalfLevels(bestK, k);
                        var pg = grid.Point(index[k]);
                        for (int j = 0; j < 8; j++)
                        {
                            float w = weight[8 * k + j];
                            float q = shifted[(pg[j] - 1) / 2];
                            sx += w * q * xb[8 * k + j];
                            s2 += w * q * q;
                        }
                    }
                    if (sx > 0 && s2 > 0)
                    {
                        scale = sx / s2;
                    }
                }
                qs[2 * ib] = (byte)index[0];
                qs[2 * ib + 1] = (byte)index[1];
                qh[ib] = (byte)((index[0] >> 8) | ((index[1] >> 8) << 4));
                if (!(scale >= 0))
                {
                    throw LatticeGrid.SearchFailed();
                }
                scales[ib] = scale;
                shifts[ib] = bestK;
                maxScale = maxScale > scale ? maxScale : scale;
            }
            if (maxScale == 0)
            {
                continue;
            }
            sc.Clear();
            float d = maxScale / 15;
            float inverse = 1 / d;
            float sumqxFinal = 0, sumq2Final = 0;
            // The super-scale is refitted to the 3-bit group scales as finally rounded.
            for (int ib = 0; ib < Qk / GroupSize; ib++)
            {
                int l = NearestInt(0.5f * (inverse * scales[ib] - 1));
                l = Math.Max(0, Math.Min(7, l));
                sc[ib / 4] |= (ushort)(l << 3 * (ib % 4));
                qh[ib] |= ShiftMasks[shifts[ib]];
                var xb = xbl.Slice(GroupSize * ib, GroupSize);
                Weights(xb, importance.IsEmpty ? default : importance.Slice(Qk * ibl + GroupSize * ib, GroupSize), sigma2, weight);
                for (int k = 0; k < GroupSize / 8; k++)
                {
                    var shifted = HalfLevels(shifts[ib], k);
                    var pg = grid.Point(qs[2 * ib + k] + ((qh[ib] << (8 - 4 * k)) & 0x700));
                    for (int j = 0; j < 8; j++)
                    {
                        float w = weight[8 * k + j];
                        float q = shifted[(pg[j] - 1) / 2] * (2 * l + 1);
                        sumqxFinal += w * q * xb[8 * k + j];
                        sumq2Final += w * q * q;
                    }
                }
            }
            if (sumq2Final > 0)
            {
                d = sumqxFinal / sumq2Final;
            }
            // ggml's fudge factor.
            ushort s = ToHalf(d * 1.1125f);
            sc[0] |= (ushort)((s & 0x000f) << 12);
            sc[1] |= (ushort)((s & 0x00f0) << 8);
            sc[2] |= (ushort)((s & 0x0f00) << 4);
            sc[3] |= (ushort)(s & 0xf000);
            for (int i = 0; i < 4; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(y.Slice(48 + 2 * i), sc[i]);
            }
        }
    }

    private static void Weights(ReadOnlySpan<float> xb, ReadOnlySpan<float> qw, float sigma2, Span<float> weight)
    {
        if (!qw.IsEmpty)
        {
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
    }

    // The first half shifts down for codes 2 and 3, the second for odd codes.
    private static ReadOnlySpan<float> HalfLevels(int shift, int half) =>
        TernaryGridSearch.Levels(half == 0 ? shift < 2 : shift % 2 == 0);

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var grid = LatticeGrid.Iq1;
        Span<int> sc = stackalloc int[4];
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            var qs = x[..32];
            var qh = x.Slice(32, 16);
            for (int k = 0; k < 4; k++)
            {
                sc[k] = BinaryPrimitives.ReadUInt16LittleEndian(x.Slice(48 + 2 * k));
            }
            int scaleBits = (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
            float d = FromHalf((ushort)scaleBits);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                float dl1 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 0)) & 0x7) + 1);
                float dl2 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1);
                int h0 = qh[2 * ib], h1 = qh[2 * ib + 1];
                for (int l = 0; l < 4; l++)
                {
                    int h = l < 2 ? h0 : h1;
                    int index = qs[4 * ib + l] | ((l % 2 == 0 ? h << 8 : h << 4) & 0x700);
                    bool negative = (h & (l % 2 == 0 ? 0x08 : 0x80)) != 0;
                    float delta = negative ? -TernaryGridSearch.Delta : TernaryGridSearch.Delta;
                    float dl = l < 2 ? dl1 : dl2;
                    var point = grid.Point(index);
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
