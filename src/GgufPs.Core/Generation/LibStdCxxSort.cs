using System.Numerics;

namespace GgufPs.Generation;

/// <summary>
/// libstdc++'s std::sort (introsort: median-of-three quicksort down to 16 elements, heapsort past 2·log2(n) levels,
/// then insertion sort) and std::partial_sort (heap select, then sort_heap), step for step. Both are unstable, so
/// candidates with equal logits end up in an order only these exact steps reproduce, and the sampled token depends
/// on that order.
/// </summary>
internal static class LibStdCxxSort
{
    private const int Threshold = 16;

    /// <summary>std::sort(v.begin(), v.end(), order).</summary>
    public static void Sort<T, TOrder>(Span<T> v, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        if (v.Length > 1)
        {
            IntrosortLoop(v, 0, v.Length, 2 * BitOperations.Log2((uint)v.Length), order);
            FinalInsertionSort(v, order);
        }
    }

    /// <summary>std::partial_sort(v.begin(), v.begin() + middle, v.end(), order).</summary>
    public static void PartialSort<T, TOrder>(Span<T> v, int middle, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        HeapSelect(v, 0, middle, v.Length, order);
        SortHeap(v, 0, middle, order);
    }

    private static void IntrosortLoop<T, TOrder>(Span<T> v, int first, int last, int depthLimit, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        while (last - first > Threshold)
        {
            if (depthLimit == 0)
            {
                HeapSelect(v, first, last, last, order);
                SortHeap(v, first, last, order);
                return;
            }
            depthLimit--;
            int cut = UnguardedPartitionPivot(v, first, last, order);
            IntrosortLoop(v, cut, last, depthLimit, order);
            last = cut;
        }
    }

    private static int UnguardedPartitionPivot<T, TOrder>(Span<T> v, int first, int last, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        int mid = first + (last - first) / 2;
        MoveMedianToFirst(v, first, first + 1, mid, last - 1, order);
        return UnguardedPartition(v, first + 1, last, first, order);
    }

    private static void MoveMedianToFirst<T, TOrder>(Span<T> v, int result, int a, int b, int c, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        if (order.Before(v[a], v[b]))
        {
            if (order.Before(v[b], v[c]))
            {
                Swap(v, result, b);
            }
            else if (order.Before(v[a], v[c]))
            {
                Swap(v, result, c);
            }
            else
            {
                Swap(v, result, a);
            }
        }
        else if (order.Before(v[a], v[c]))
        {
            Swap(v, result, a);
        }
        else if (order.Before(v[b], v[c]))
        {
            Swap(v, result, c);
        }
        else
        {
            Swap(v, result, b);
        }
    }

    // The scans rely on the pivot as a sentinel, as libstdc++'s do; the bounds checks only matter for orderings that
    // are not strict weak orders (NaN logits), where libstdc++ would read past the range.
    private static int UnguardedPartition<T, TOrder>(Span<T> v, int first, int last, int pivot, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        int lowest = first;
        int end = last;
        while (true)
        {
            while (first < end - 1 && order.Before(v[first], v[pivot]))
            {
                first++;
            }
            last--;
            while (last > lowest && order.Before(v[pivot], v[last]))
            {
                last--;
            }
            if (!(first < last))
            {
                return first;
            }
            Swap(v, first, last);
            first++;
        }
    }

    private static void FinalInsertionSort<T, TOrder>(Span<T> v, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        if (v.Length > Threshold)
        {
            InsertionSort(v, 0, Threshold, order);
            for (int i = Threshold; i < v.Length; i++)
            {
                UnguardedLinearInsert(v, i, order);
            }
        }
        else
        {
            InsertionSort(v, 0, v.Length, order);
        }
    }

    private static void InsertionSort<T, TOrder>(Span<T> v, int first, int last, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        for (int i = first + 1; i < last; i++)
        {
            if (order.Before(v[i], v[first]))
            {
                T value = v[i];
                v[first..i].CopyTo(v[(first + 1)..]);
                v[first] = value;
            }
            else
            {
                UnguardedLinearInsert(v, i, order);
            }
        }
    }

    private static void UnguardedLinearInsert<T, TOrder>(Span<T> v, int last, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        T value = v[last];
        int next = last - 1;
        while (next >= 0 && order.Before(value, v[next]))
        {
            v[last] = v[next];
            last = next;
            next--;
        }
        v[last] = value;
    }

    private static void HeapSelect<T, TOrder>(Span<T> v, int first, int middle, int last, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        MakeHeap(v, first, middle, order);
        ref T top = ref v[first];
        for (int i = middle; i < last; i++)
        {
            if (order.Before(v[i], top))
            {
                PopHeap(v, first, middle, i, order);
            }
        }
    }

    private static void MakeHeap<T, TOrder>(Span<T> v, int first, int last, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        int length = last - first;
        if (length < 2)
        {
            return;
        }
        for (int parent = (length - 2) / 2; ; parent--)
        {
            AdjustHeap(v, first, parent, length, v[first + parent], order);
            if (parent == 0)
            {
                return;
            }
        }
    }

    private static void SortHeap<T, TOrder>(Span<T> v, int first, int last, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        while (last - first > 1)
        {
            last--;
            PopHeap(v, first, last, last, order);
        }
    }

    private static void PopHeap<T, TOrder>(Span<T> v, int first, int last, int result, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        T value = v[result];
        v[result] = v[first];
        AdjustHeap(v, first, 0, last - first, value, order);
    }

    private static void AdjustHeap<T, TOrder>(Span<T> v, int first, int hole, int length, T value, TOrder order)
        where TOrder : struct, IOrdering<T>
    {
        int top = hole;
        int child = hole;
        while (child < (length - 1) / 2)
        {
            child = 2 * (child + 1);
            if (order.Before(v[first + child], v[first + child - 1]))
            {
                child--;
            }
            v[first + hole] = v[first + child];
            hole = child;
        }
        if ((length & 1) == 0 && child == (length - 2) / 2)
        {
            child = 2 * (child + 1);
            v[first + hole] = v[first + child - 1];
            hole = child - 1;
        }
        int parent = (hole - 1) / 2;
        while (hole > top && order.Before(v[first + parent], value))
        {
            v[first + hole] = v[first + parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        v[first + hole] = value;
    }

    private static void Swap<T>(Span<T> v, int a, int b) => (v[a], v[b]) = (v[b], v[a]);
}
