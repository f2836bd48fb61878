using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ2_XXS: 256 weights as 8 groups of 32, each group four points of the 256-point 2-bit grid with 7 stored sign bits
/// per 8 values and a 4-bit scale, under an F16 super-scale (66 bytes: d, qs[64]). Needs importance weights.
/// </summary>
internal sealed class IQ2_XXSBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 66;
    private const int LevelCount = 3;

    // Grid levels 0, 1, 2 as iq2xxs_grid stores them.
    private static ReadOnlySpan<byte> GridValues => [8, 25, 43];

    internal IQ2_XXSBlockFormat() : base(GgmlType.IQ2_XXS, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    public override bool RequiresImportance => true;

    // quantize_row_iq2_xxs_impl.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        var grid = LatticeGrid.Iq2Xxs;
        Span<float> scales = stackalloc float[Qk / 32];
        Span<float> weight = stackalloc float[32];
        Span<float> xval = stackalloc float[32];
        Span<float> waux = stackalloc float[32];
        Span<sbyte> levels = stackalloc sbyte[32];
        Span<byte> packedLevels = stackalloc byte[32];
        Span<bool> onGrid = stackalloc bool[4];
        Span<byte> signs = stackalloc byte[4];
        Span<uint> q2 = stackalloc uint[2 * (Qk / 32)];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var y = destination.Slice(ibl * Bytes, Bytes);
            var xbl = row.Slice(ibl * Qk, Qk);
            q2.Clear();
            float maxScale = 0;
            float sigma2 = SumOfSquares(xbl) / Qk;
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                var xb = xbl.Slice(32 * ib, 32);
                var qw = importance.Slice(Qk * ibl + 32 * ib, 32);
                for (int i = 0; i < 32; i++)
                {
                    weight[i] = qw[i] * MathF.Sqrt(sigma2 + xb[i] * xb[i]);
                }
                for (int i = 0; i < 32; i++)
                {
                    waux[i] = MathF.Sqrt(weight[i]);
                }
                for (int k = 0; k < 4; k++)
                {
                    signs[k] = SignFolding.EvenParity(xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), xval.Slice(8 * k, 8));
                }
                float max = xval[0];
                for (int i = 1; i < 32; i++)
                {
                    max = max > xval[i] ? max : xval[i];
                }
                if (max < GroupMaxEps)
                {
                    scales[ib] = 0;
                    continue;
                }
                // A first fit to levels 0..4 only seeds the search below.
                float scale = MakeQpQuants(32, LevelCount + 1, xval, packedLevels, weight);
                for (int i = 0; i < 32; i++)
                {
                    levels[i] = (sbyte)packedLevels[i];
                }
                float effectiveMax = scale * LevelCount;
                if (effectiveMax <= 0)
                {
                    scales[ib] = 0;
                    continue;
                }
                scale = GridProjection.SearchScales(grid, xval, waux, weight, effectiveMax, 0.1f, 6, LevelCount, scale, levels, onGrid);
                if (scale > 0)
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
                    for (int k = 0; k < 4; k++)
                    {
                        signs[k] = (byte)(~signs[k] & 127);
                    }
                }
                for (int k = 0; k < 4; k++)
                {
                    int index = GridProjection.IndexOf(grid, levels.Slice(8 * k, 8));
                    q2[2 * ib] |= (uint)index << 8 * k;
                    q2[2 * ib + 1] |= (uint)signs[k] << 7 * k;
                }
                if (!(scale >= 0))
                {
                    throw LatticeGrid.SearchFailed();
                }
                scales[ib] = scale;
                maxScale = maxScale > scale ? maxScale : scale;
            }
            WriteHalf(y, 0f);
            var qs = y[2..];
            if (maxScale == 0)
            {
                qs.Clear();
                continue;
            }
            float d = maxScale / 31;
            WriteHalf(y, d);
            float inverse = 1 / d;
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                int l = NearestInt(0.5f * (inverse * scales[ib] - 1));
                l = Math.Max(0, Math.Min(15, l));
                q2[2 * ib + 1] |= (uint)l << 28;
            }
            for (int i = 0; i < q2.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(qs.Slice(4 * i), q2[i]);
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var grid = LatticeGrid.Iq2Xxs;
        var values = GridValues;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                uint indices = BinaryPrimitives.ReadUInt32LittleEndian(x.Slice(2 + 8 * ib));
                uint aux = BinaryPrimitives.ReadUInt32LittleEndian(x.Slice(6 + 8 * ib));
                float db = d * (0.5f + (aux >> 28)) * 0.25f;
                for (int l = 0; l < 4; l++)
                {
                    var point = grid.Point((int)(indices >> 8 * l) & 255);
                    int signs = SignFolding.Expand((int)(aux >> 7 * l) & 127);
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
