using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ2_XS: 256 weights as 16 groups of 16, each group two points of the 512-point 2-bit grid with 7 stored sign bits
/// per 8 values and a 4-bit scale, under an F16 super-scale (74 bytes: d, qs[32] as 9-bit index | signs &lt;&lt; 9,
/// scales[8]). Needs importance weights.
/// </summary>
internal sealed class IQ2_XSBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 74;
    private const int LevelCount = 3;

    // Grid levels 0, 1, 2 as iq2xs_grid stores them.
    private static ReadOnlySpan<byte> GridValues => [8, 25, 43];

    internal IQ2_XSBlockFormat() : base(GgmlType.IQ2_XS, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    public override bool RequiresImportance => true;

    // quantize_row_iq2_xs_impl.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        var grid = LatticeGrid.Iq2Xs;
        Span<float> scales = stackalloc float[Qk / 16];
        Span<float> weight = stackalloc float[16];
        Span<float> xval = stackalloc float[16];
        Span<float> waux = stackalloc float[16];
        Span<sbyte> levels = stackalloc sbyte[16];
        Span<bool> onGrid = stackalloc bool[2];
        Span<byte> signs = stackalloc byte[2];
        Span<ushort> q2 = stackalloc ushort[2 * (Qk / 16)];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var y = destination.Slice(ibl * Bytes, Bytes);
            var xbl = row.Slice(ibl * Qk, Qk);
            q2.Clear();
            var packedScales = y.Slice(66, 8);
            packedScales.Clear();
            float maxScale = 0;
            float sigma2 = SumOfSquares(xbl) / Qk;
            for (int ib = 0; ib < Qk / 16; ib++)
            {
                var xb = xbl.Slice(16 * ib, 16);
                var qw = importance.Slice(Qk * ibl + 16 * ib, 16);
                for (int i = 0; i < 16; i++)
                {
                    weight[i] = qw[i] * MathF.Sqrt(sigma2 + xb[i] * xb[i]);
                }
                for (int i = 0; i < 16; i++)
                {
                    waux[i] = MathF.Sqrt(weight[i]);
                }
                for (int k = 0; k < 2; k++)
                {
                    signs[k] = SignFolding.EvenParity(xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), xval.Slice(8 * k, 8));
                }
                float max = xval[0];
                for (int i = 1; i < 16; i++)
                {
                    max = max > xval[i] ? max : xval[i];
                }
                levels.Clear();
                if (max < GroupMaxEps)
                {
                    scales[ib] = 0;
                    continue;
                }
                float scale = max / (2 * LevelCount - 1);
                onGrid.Fill(true);
                scale = GridProjection.SearchScales(grid, xval, waux, weight, max, 0.1f, 9, LevelCount, scale, levels, onGrid);
                if ((!onGrid[0] || !onGrid[1]) && scale > 0)
                {
                    GridProjection.Project(grid, xval, waux, 1 / scale, scale, LevelCount, levels, default, onGrid);
                    GridProjection.Sums(weight, xval, levels, out float sumqx, out float sumq2);
                    if (sumq2 > 0)
                    {
                        scale = sumqx / sumq2;
                    }
                }
                if (scale < 0)
                {
                    scale = -scale;
                    for (int k = 0; k < 2; k++)
                    {
                        signs[k] = (byte)(~signs[k] & 127);
                    }
                }
                for (int k = 0; k < 2; k++)
                {
                    int index = GridProjection.IndexOf(grid, levels.Slice(8 * k, 8));
                    q2[2 * ib + k] = (ushort)(index | signs[k] << 9);
                }
                if (!(scale >= 0))
                {
                    throw LatticeGrid.SearchFailed();
                }
                scales[ib] = scale;
                maxScale = maxScale > scale ? maxScale : scale;
            }
            WriteHalf(y, 0f);
            var qs = y.Slice(2, 64);
            if (maxScale == 0)
            {
                qs.Clear();
                continue;
            }
            float d = maxScale / 31;
            WriteHalf(y, d);
            float inverse = 1 / d;
            for (int ib = 0; ib < Qk / 16; ib++)
            {
                int l = NearestInt(0.5f * (inverse * scales[ib] - 1));
                l = Math.Max(0, Math.Min(15, l));
                packedScales[ib / 2] |= (byte)(ib % 2 == 0 ? l : l << 4);
            }
            for (int i = 0; i < q2.Length; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(qs.Slice(2 * i), q2[i]);
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var grid = LatticeGrid.Iq2Xs;
        var values = GridValues;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                byte scale = x[66 + ib];
                float db0 = d * (0.5f + (scale & 0xf)) * 0.25f;
                float db1 = d * (0.5f + (scale >> 4)) * 0.25f;
                for (int l = 0; l < 4; l++)
                {
                    int q = BinaryPrimitives.ReadUInt16LittleEndian(x.Slice(2 + 2 * (4 * ib + l)));
                    var point = grid.Point(q & 511);
                    int signs = SignFolding.Expand(q >> 9);
                    float db = l < 2 ? db0 : db1;
                    var yb = y.Slice(32 * ib + 8 * l, 8);
                    for (int j = 0; j < 8; j++)
                    {
                        yb[j] = db * values[(point[j] - 1) / 2] * ((signs & 1 << j) != 0 ? -1f : 1f);
                    }
                }
            }
        }
    }
}
