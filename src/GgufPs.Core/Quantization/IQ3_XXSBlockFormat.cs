using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// IQ3_XXS: 256 weights as 8 groups of 32, each group eight points of the 256-point 3-bit grid (4 coordinates each)
/// with 7 stored sign bits per 8 values and a 4-bit scale, under an F16 super-scale (98 bytes: d, qs[64] indices,
/// scales_and_signs[8] as uint32).
/// </summary>
internal sealed class IQ3_XXSBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 98;
    private const int LevelCount = 8;
    private const float GroupMaxEpsIq3Xxs = 1e-8f;

    // Grid levels 0..7 as iq3xxs_grid stores them.
    private static ReadOnlySpan<byte> GridValues => [4, 12, 20, 28, 36, 44, 52, 62];

    internal IQ3_XXSBlockFormat() : base(GgmlType.IQ3_XXS, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    // quantize_row_iq3_xxs_impl with the 256-point grid.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        var grid = LatticeGrid.Iq3Xxs;
        Span<float> scales = stackalloc float[Qk / 32];
        Span<float> weight = stackalloc float[32];
        Span<float> xval = stackalloc float[32];
        Span<float> waux = stackalloc float[32];
        Span<sbyte> levels = stackalloc sbyte[32];
        Span<bool> onGrid = stackalloc bool[8];
        Span<byte> signs = stackalloc byte[4];
        Span<uint> scalesAndSigns = stackalloc uint[Qk / 32];
        for (int ibl = 0; ibl < row.Length / Qk; ibl++)
        {
            var y = destination.Slice(ibl * Bytes, Bytes);
            var qs = y.Slice(2, 64);
            qs.Clear();
            scalesAndSigns.Clear();
            var xbl = row.Slice(ibl * Qk, Qk);
            float maxScale = 0;
            float sigma2 = 2 * SumOfSquares(xbl) / Qk;
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                var xb = xbl.Slice(32 * ib, 32);
                if (!importance.IsEmpty)
                {
                    var qw = importance.Slice(Qk * ibl + 32 * ib, 32);
                    for (int i = 0; i < 32; i++)
                    {
                        weight[i] = qw[i] * MathF.Sqrt(sigma2 + xb[i] * xb[i]);
                    }
                }
                else
                {
                    for (int i = 0; i < 32; i++)
                    {
                        weight[i] = xb[i] * xb[i];
                    }
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
                levels.Clear();
                if (max < GroupMaxEpsIq3Xxs)
                {
                    scales[ib] = 0;
                    continue;
                }
                float scale = max / (2 * LevelCount - 1);
                onGrid.Fill(true);
                scale = GridProjection.SearchScales(grid, xval, waux, weight, max, 0.2f, 15, LevelCount, scale, levels, onGrid);
                if (onGrid.Contains(false) && scale > 0)
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
                    for (int k = 0; k < 4; k++)
                    {
                        signs[k] = (byte)(~signs[k] & 127);
                    }
                }
                for (int k = 0; k < 8; k++)
                {
                    qs[8 * ib + k] = (byte)GridProjection.IndexOf(grid, levels.Slice(4 * k, 4));
                }
                scalesAndSigns[ib] = (uint)(signs[0] | signs[1] << 7 | signs[2] << 14 | signs[3] << 21);
                if (!(scale >= 0))
                {
                    throw LatticeGrid.SearchFailed();
                }
                scales[ib] = scale;
                maxScale = maxScale > scale ? maxScale : scale;
            }
            WriteHalf(y, 0f);
            if (maxScale == 0)
            {
                y.Slice(2).Clear();
                continue;
            }
            float d = maxScale / 31;
            // ggml's small fudge factor.
            WriteHalf(y, d * 1.0125f);
            float inverse = 1 / d;
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                int l = NearestInt(0.5f * (inverse * scales[ib] - 1));
                l = Math.Max(0, Math.Min(15, l));
                scalesAndSigns[ib] |= (uint)l << 28;
            }
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(y.Slice(66 + 4 * ib), scalesAndSigns[ib]);
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var grid = LatticeGrid.Iq3Xxs;
        var values = GridValues;
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = ReadHalf(x);
            var y = destination.Slice(i * Qk, Qk);
            for (int ib = 0; ib < Qk / 32; ib++)
            {
                uint aux = BinaryPrimitives.ReadUInt32LittleEndian(x.Slice(66 + 4 * ib));
                float db = d * (0.5f + (aux >> 28)) * 0.5f;
                for (int l = 0; l < 4; l++)
                {
                    int signs = SignFolding.Expand((int)(aux >> 7 * l) & 127);
                    var first = grid.Point(x[2 + 8 * ib + 2 * l]);
                    var second = grid.Point(x[2 + 8 * ib + 2 * l + 1]);
                    var yb = y.Slice(32 * ib + 8 * l, 8);
                    for (int j = 0; j < 4; j++)
                    {
                        yb[j] = db * values[(first[j] - 1) / 2] * ((signs & 1 << j) != 0 ? -1f : 1f);
                        yb[j + 4] = db * values[(second[j] - 1) / 2] * ((signs & 1 << (j + 4)) != 0 ? -1f : 1f);
                    }
                }
            }
        }
    }
}
