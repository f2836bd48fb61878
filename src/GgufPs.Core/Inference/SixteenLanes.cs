using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// _mm512_reduce_add_ps as GCC expands it, which ends llama.cpp's AVX-512 sums: lane l + lane l+8, then l + l+4,
/// then (0 + 2) + (1 + 3). The sixteen lanes come as one Vector512, as two Vector256 (lanes 0–7, 8–15) or as four
/// Vector128 (lanes 0–3, 4–7, 8–11, 12–15); every form adds the same pairs.
/// </summary>
internal static class SixteenLanes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Sum(v.GetLower(), v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> low, Vector256<float> high)
    {
        var a = high + low;
        return Sum(a.GetLower() + a.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3) =>
        Sum((q2 + q0) + (q3 + q1));

    /// <summary>The last steps, from the four sums of lanes l, l+4, l+8 and l+12.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector128<float> b) => (b.GetElement(0) + b.GetElement(2)) + (b.GetElement(1) + b.GetElement(3));

    /// <summary>The same over sixteen floats in memory.</summary>
    public static float Sum(ReadOnlySpan<float> a)
    {
        float t0 = a[8] + a[0], t1 = a[9] + a[1], t2 = a[10] + a[2], t3 = a[11] + a[3];
        float t4 = a[12] + a[4], t5 = a[13] + a[5], t6 = a[14] + a[6], t7 = a[15] + a[7];
        float u0 = t4 + t0, u1 = t5 + t1, u2 = t6 + t2, u3 = t7 + t3;
        return (u0 + u2) + (u1 + u3);
    }

    /// <summary>
    /// Sixteen sums at once with AVX-512 shuffles, adding the same pairs as <see cref="Sum(Vector512{float})"/> does
    /// for each: halves (lane l + lane l+8), quarters (l + l+4), then (0 + 2, 1 + 3), then the pair; slot 4t + i
    /// ends in lane 4i + t.
    /// </summary>
    public static unsafe Vector512<float> SumSixteen(Vector512<float>* s)
    {
        var a0 = Halves(s[0], s[1]);
        var a1 = Halves(s[2], s[3]);
        var a2 = Halves(s[4], s[5]);
        var a3 = Halves(s[6], s[7]);
        var a4 = Halves(s[8], s[9]);
        var a5 = Halves(s[10], s[11]);
        var a6 = Halves(s[12], s[13]);
        var a7 = Halves(s[14], s[15]);
        var b0 = Quarters(a0, a1);
        var b1 = Quarters(a2, a3);
        var b2 = Quarters(a4, a5);
        var b3 = Quarters(a6, a7);
        var e0 = Avx512F.Shuffle(b0, b1, 0b01_00_01_00) + Avx512F.Shuffle(b0, b1, 0b11_10_11_10);
        var e1 = Avx512F.Shuffle(b2, b3, 0b01_00_01_00) + Avx512F.Shuffle(b2, b3, 0b11_10_11_10);
        return Avx512F.Shuffle(e0, e1, 0b10_00_10_00) + Avx512F.Shuffle(e0, e1, 0b11_01_11_01);
    }

    /// <summary>Lanes l and l+8 of x added in the lower half, of y in the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b01_00_01_00) + Avx512F.Shuffle4x128(x, y, 0b11_10_11_10);

    /// <summary>Within each half of x and of y, lanes l and l+4 added: one input's four sums per 128-bit quarter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0b10_00_10_00) + Avx512F.Shuffle4x128(x, y, 0b11_01_11_01);
}
