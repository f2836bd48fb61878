using System.Runtime.CompilerServices;

namespace GgufPs.Quantization;

/// <summary>
/// What IQ1_S and IQ1_M share: their levels −1, 0, 1 shifted by ±δ, and the order in which the exact split search
/// visits a group's values.
/// </summary>
internal static class TernaryGridSearch
{
    /// <summary>IQ1S_DELTA (IQ1M_DELTA is the same).</summary>
    public const float Delta = 0.125f;

    /// <summary>The levels shifted up: −1 + δ, δ, 1 + δ.</summary>
    public static ReadOnlySpan<float> ShiftedUp => [-1 + Delta, Delta, 1 + Delta];

    /// <summary>The levels shifted down: −1 − δ, −δ, 1 − δ.</summary>
    public static ReadOnlySpan<float> ShiftedDown => [-1 - Delta, -Delta, 1 - Delta];

    /// <summary>
    /// The positions of <paramref name="x"/> sorted by value, as glibc's qsort (a top-down merge sort that keeps the
    /// left element unless it compares greater) orders them for ggml: equal values keep their order, and even NaN,
    /// which compares equal to everything, lands where glibc puts it.
    /// </summary>
    public static void SortOrder(ReadOnlySpan<float> x, Span<int> order, Span<int> scratch)
    {
        for (int i = 0; i < x.Length; i++)
        {
            order[i] = i;
        }
        MergeSort(x, order, scratch);
    }

    private static void MergeSort(ReadOnlySpan<float> x, Span<int> items, Span<int> scratch)
    {
        int n = items.Length;
        if (n <= 1)
        {
            return;
        }
        int n1 = n / 2;
        var left = items[..n1];
        var right = items[n1..];
        MergeSort(x, left, scratch);
        MergeSort(x, right, scratch);
        int a = 0, b = 0, t = 0;
        while (a < left.Length && b < right.Length)
        {
            if (!(x[left[a]] > x[right[b]]))
            {
                scratch[t++] = left[a++];
            }
            else
            {
                scratch[t++] = right[b++];
            }
        }
        while (a < left.Length)
        {
            scratch[t++] = left[a++];
        }
        // What is left of the right half is already in place.
        scratch[..t].CopyTo(items);
    }

    /// <summary>The shifted levels a group uses: up for shift +1 (or IQ1_M's even codes), down otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<float> Levels(bool up) => up ? ShiftedUp : ShiftedDown;
}
