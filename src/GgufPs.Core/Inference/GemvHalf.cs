using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// <see cref="Gemv"/>'s F16 kernels: each row's halves widened in registers (<see cref="HalfVectors"/>) and summed
/// in <see cref="FloatGemm"/>'s order (sixteen lanes of fused multiply-adds over k, then <see cref="SixteenLanes"/>),
/// so a row gives the batched path's bits. Four rows go at once for independent chains.
/// </summary>
internal static unsafe class GemvHalf
{
    public const int Rows = 4;

    /// <summary>y[0..4) for rows [first, first + 4); x holds the token rounded to F16, k a multiple of 16.</summary>
    public static void FourRows(WeightMatrix w, int first, float* x, float* y, VectorWidth width)
    {
        ushort* r0 = (ushort*)w.RowPointer(first);
        long stride = w.RowBytes / sizeof(ushort);
        int k = w.Columns;
        switch (width)
        {
            case VectorWidth.Vector512:
                FourRows512(r0, stride, x, k, y);
                break;
            case VectorWidth.Vector256:
                FourRows256(r0, stride, x, k, y);
                break;
            default:
                FourRows128(r0, stride, x, k, y);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows512(ushort* w0, long stride, float* x, int k, float* y)
    {
        ushort* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int l = 0;
        // Thirty-two columns a step, so that each row's halves are tested for the rare non-normal values at once.
        for (; l + 32 <= k; l += 32)
        {
            var u = Vector512.Load(x + l);
            var v = Vector512.Load(x + l + 16);
            PrefetchNextRows(w0 + l, stride);
            HalfVectors.Load512Pair(w0 + l, out var a0, out var b0);
            HalfVectors.Load512Pair(w1 + l, out var a1, out var b1);
            HalfVectors.Load512Pair(w2 + l, out var a2, out var b2);
            HalfVectors.Load512Pair(w3 + l, out var a3, out var b3);
            c0 = Vector512.FusedMultiplyAdd(b0, v, Vector512.FusedMultiplyAdd(a0, u, c0));
            c1 = Vector512.FusedMultiplyAdd(b1, v, Vector512.FusedMultiplyAdd(a1, u, c1));
            c2 = Vector512.FusedMultiplyAdd(b2, v, Vector512.FusedMultiplyAdd(a2, u, c2));
            c3 = Vector512.FusedMultiplyAdd(b3, v, Vector512.FusedMultiplyAdd(a3, u, c3));
        }
        if (l < k)
        {
            var v = Vector512.Load(x + l);
            c0 = Vector512.FusedMultiplyAdd(HalfVectors.Load512(w0 + l), v, c0);
            c1 = Vector512.FusedMultiplyAdd(HalfVectors.Load512(w1 + l), v, c1);
            c2 = Vector512.FusedMultiplyAdd(HalfVectors.Load512(w2 + l), v, c2);
            c3 = Vector512.FusedMultiplyAdd(HalfVectors.Load512(w3 + l), v, c3);
        }
        y[0] = SixteenLanes.Sum(c0);
        y[1] = SixteenLanes.Sum(c1);
        y[2] = SixteenLanes.Sum(c2);
        y[3] = SixteenLanes.Sum(c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows256(ushort* w0, long stride, float* x, int k, float* y)
    {
        ushort* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default;
        Vector256<float> h0 = default, h1 = default, h2 = default, h3 = default;
        for (int l = 0; l < k; l += 16)
        {
            var a = Vector256.Load(x + l);
            var b = Vector256.Load(x + l + 8);
            if ((l & 31) == 0)
            {
                PrefetchNextRows(w0 + l, stride);
            }
            HalfVectors.Load256Pair(w0 + l, out var a0, out var b0);
            HalfVectors.Load256Pair(w1 + l, out var a1, out var b1);
            HalfVectors.Load256Pair(w2 + l, out var a2, out var b2);
            HalfVectors.Load256Pair(w3 + l, out var a3, out var b3);
            l0 = Vector256.FusedMultiplyAdd(a0, a, l0);
            h0 = Vector256.FusedMultiplyAdd(b0, b, h0);
            l1 = Vector256.FusedMultiplyAdd(a1, a, l1);
            h1 = Vector256.FusedMultiplyAdd(b1, b, h1);
            l2 = Vector256.FusedMultiplyAdd(a2, a, l2);
            h2 = Vector256.FusedMultiplyAdd(b2, b, h2);
            l3 = Vector256.FusedMultiplyAdd(a3, a, l3);
            h3 = Vector256.FusedMultiplyAdd(b3, b, h3);
        }
        y[0] = SixteenLanes.Sum(l0, h0);
        y[1] = SixteenLanes.Sum(l1, h1);
        y[2] = SixteenLanes.Sum(l2, h2);
        y[3] = SixteenLanes.Sum(l3, h3);
    }

    /// <summary>
    /// Asks for the 64 bytes at <paramref name="p"/> in the next four rows, the group a worker usually takes next,
    /// into the L2: with four rows read side by side the hardware prefetcher keeps too few reads in flight (a seventh
    /// more weight bytes a second from DRAM on one thread with this).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNextRows(ushort* p, long stride)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch1(p + 4 * stride);
            Sse.Prefetch1(p + 5 * stride);
            Sse.Prefetch1(p + 6 * stride);
            Sse.Prefetch1(p + 7 * stride);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows128(ushort* w0, long stride, float* x, int k, float* y)
    {
        for (int r = 0; r < Rows; r++, w0 += stride)
        {
            Vector128<float> q0 = default, q1 = default, q2 = default, q3 = default;
            for (int l = 0; l < k; l += 16)
            {
                q0 = ExactFma.MultiplyAdd(HalfVectors.Load128(w0 + l), Vector128.Load(x + l), q0);
                q1 = ExactFma.MultiplyAdd(HalfVectors.Load128(w0 + l + 4), Vector128.Load(x + l + 4), q1);
                q2 = ExactFma.MultiplyAdd(HalfVectors.Load128(w0 + l + 8), Vector128.Load(x + l + 8), q2);
                q3 = ExactFma.MultiplyAdd(HalfVectors.Load128(w0 + l + 12), Vector128.Load(x + l + 12), q3);
            }
            y[r] = SixteenLanes.Sum(q0, q1, q2, q3);
        }
    }
}
