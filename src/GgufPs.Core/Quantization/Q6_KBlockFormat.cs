using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q6_K: 256 weights in 16 groups of 16, 6-bit levels (4 low bits, 2 high bits) with signed 8-bit group scales and an
/// F16 super-scale (210 bytes: ql[128], qh[64], scales[16], d).
/// </summary>
internal sealed class Q6_KBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 210;
    private const int HighOffset = 128;
    private const int ScalesOffset = 192;
    private const int DOffset = 208;

    internal Q6_KBlockFormat() : base(GgmlType.Q6_K, GgmlType.Q8_K)
    {
    }

    public override bool UsesImportance => true;

    // quantize_row_q6_K_ref and quantize_row_q6_K_impl differ only in the weights handed to make_qx_quants.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        Span<sbyte> levels = stackalloc sbyte[Qk];
        Span<float> scales = stackalloc float[Qk / 16];
        Span<Vector512<float>> xt = stackalloc Vector512<float>[16];
        Span<Vector512<float>> wt = stackalloc Vector512<float>[16];
        Span<Vector512<int>> lt = stackalloc Vector512<int>[16];
        bool lanes = LaneFitting.IsSupported;
        for (int i = 0; i < row.Length / Qk; i++)
        {
            var x = row.Slice(i * Qk, Qk);
            var y = destination.Slice(i * Bytes, Bytes);
            var qwBlock = importance.IsEmpty ? default : importance.Slice(i * Qk, Qk);
            if (lanes)
            {
                // The 16 groups of a super-block, one per lane.
                LaneFitting.Transpose(x, 16, 16, 16, xt);
                if (qwBlock.IsEmpty)
                {
                    for (int l = 0; l < 16; l++)
                    {
                        wt[l] = xt[l] * xt[l];
                    }
                }
                else
                {
                    LaneFitting.Transpose(qwBlock, 16, 16, 16, wt);
                }
                LaneFitting.QxWeighted(xt, wt, 16, 32, lt).CopyTo(scales);
            }
            else
            {
                for (int ib = 0; ib < Qk / 16; ib++)
                {
                    var qw = qwBlock.IsEmpty ? default : qwBlock.Slice(16 * ib, 16);
                    scales[ib] = MakeQxQuants(16, 32, x.Slice(16 * ib, 16), levels.Slice(16 * ib, 16), 1, qw);
                }
            }
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < Qk / 16; ib++)
            {
                float absScale = MathF.Abs(scales[ib]);
                if (absScale > maxAbsScale)
                {
                    maxAbsScale = absScale;
                    maxScale = scales[ib];
                }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                y.Clear();
                continue;
            }
            float iscale = -128.0f / maxScale;
            WriteHalf(y[DOffset..], 1 / iscale);
            for (int ib = 0; ib < Qk / 16; ib++)
            {
                y[ScalesOffset + ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
            }
            float dAll = ReadHalf(y[DOffset..]);
            if (lanes)
            {
                FinishLanes(xt, lt, y, dAll);
                continue;
            }
            for (int j = 0; j < Qk / 16; j++)
            {
                float d = dAll * (sbyte)y[ScalesOffset + j];
                if (d == 0)
                {
                    continue;
                }
                for (int ii = 0; ii < 16; ii++)
                {
                    int l = NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-32, Math.Min(31, l));
                    levels[16 * j + ii] = (sbyte)(l + 32);
                }
            }
            for (int j = 0; j < Qk; j += 128)
            {
                var ql = y.Slice(j / 2, 64);
                var qh = y.Slice(HighOffset + j / 4, 32);
                for (int l = 0; l < 32; l++)
                {
                    int q1 = levels[j + l] & 0xF;
                    int q2 = levels[j + l + 32] & 0xF;
                    int q3 = levels[j + l + 64] & 0xF;
                    int q4 = levels[j + l + 96] & 0xF;
                    ql[l] = (byte)(q1 | (q3 << 4));
                    ql[l + 32] = (byte)(q2 | (q4 << 4));
                    qh[l] = (byte)((levels[j + l] >> 4) | ((levels[j + l + 32] >> 4) << 2) | ((levels[j + l + 64] >> 4) << 4) | ((levels[j + l + 96] >> 4) << 6));
                }
            }
        }
    }

    // The requantization with one group per lane, then per-group vectors for the 4+2-bit packing.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FinishLanes(ReadOnlySpan<Vector512<float>> xt, Span<Vector512<int>> lt, Span<byte> y, float dAll)
    {
        Span<float> scale = stackalloc float[16];
        for (int j = 0; j < 16; j++)
        {
            scale[j] = dAll * (sbyte)y[ScalesOffset + j];
        }
        var d = Vector512.Create<float>(scale);
        var valid = ~Vector512.Equals(d, Vector512<float>.Zero).AsInt32();
        for (int i = 0; i < 16; i++)
        {
            var l = LaneFitting.NearestInt(xt[i] / d);
            l = Vector512.Min(Vector512.Max(l, Vector512.Create(-32)), Vector512.Create(31)) + Vector512.Create(32);
            lt[i] = Vector512.ConditionalSelect(valid, l, lt[i]);
        }
        Span<Vector512<int>> v = stackalloc Vector512<int>[16];
        LaneFitting.TransposeSquare(lt, v);
        var low = Vector512.Create(0xF);
        for (int h = 0; h < 2; h++)
        {
            for (int odd = 0; odd < 2; odd++)
            {
                int g = 8 * h + odd;
                LaneFitting.StoreLowBytes((v[g] & low) | ((v[g + 4] & low) << 4), y.Slice(64 * h + 16 * odd, 16));
                LaneFitting.StoreLowBytes((v[g + 2] & low) | ((v[g + 6] & low) << 4), y.Slice(64 * h + 32 + 16 * odd, 16));
                var high = (v[g] >> 4) | ((v[g + 2] >> 4) << 2) | ((v[g + 4] >> 4) << 4) | ((v[g + 6] >> 4) << 6);
                LaneFitting.StoreLowBytes(high, y.Slice(HighOffset + 32 * h + 16 * odd, 16));
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
            for (int n = 0; n < Qk; n += 128)
            {
                var ql = x.Slice(n / 2, 64);
                var qh = x.Slice(HighOffset + n / 4, 32);
                var sc = x.Slice(ScalesOffset + n / 16, 8);
                var yb = y.Slice(n, 128);
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = (sbyte)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = (sbyte)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = (sbyte)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = (sbyte)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    yb[l] = d * (sbyte)sc[s] * q1;
                    yb[l + 32] = d * (sbyte)sc[s + 2] * q2;
                    yb[l + 64] = d * (sbyte)sc[s + 4] * q3;
                    yb[l + 96] = d * (sbyte)sc[s + 6] * q4;
                }
            }
        }
    }
}
