namespace GgufPs.Generation;

/// <summary>
/// The candidates the samplers of a chain narrow down, as llama.cpp's llama_token_data_array: a window of
/// <see cref="Size"/> entries starting at <see cref="Offset"/> (XTC moves the start, as llama.cpp moves the data
/// pointer), the index of the chosen one in that window, and whether the window is sorted by descending logit.
/// The shared steps of llama-sampler.cpp (softmax, temperature, top-k and the partial sorts) live here.
/// </summary>
internal sealed class TokenCandidates
{
    private const int BucketCount = 128;
    private const float BucketScale = 6.4f;
    private const float BucketOffset = 64.0f;

    private TokenCandidate[] _sorted = [];
    private byte[] _buckets = [];

    public TokenCandidates(int capacity)
    {
        Data = new TokenCandidate[capacity];
    }

    public TokenCandidate[] Data { get; private set; }

    public int Offset { get; set; }

    public int Size { get; set; }

    /// <summary>The index of the chosen candidate in the window, or -1.</summary>
    public int Selected { get; set; } = -1;

    public bool Sorted { get; set; }

    public Span<TokenCandidate> Items => Data.AsSpan(Offset, Size);

    /// <summary>The chosen token's id.</summary>
    public int SelectedId => Selected >= 0 && Selected < Size
        ? Data[Offset + Selected].Id
        : throw new InvalidOperationException("The sampler chain chose no token (it needs a sampler that selects one, such as dist or greedy, at its end).");

    /// <summary>Every token of the vocabulary with its logit, unsorted, as llama_sampler_sample fills the array.</summary>
    public void Reset(ReadOnlySpan<float> logits)
    {
        if (Data.Length < logits.Length)
        {
            Data = new TokenCandidate[logits.Length];
        }
        var data = Data.AsSpan(0, logits.Length);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = new TokenCandidate(i, logits[i], 0f);
        }
        Offset = 0;
        Size = logits.Length;
        Selected = -1;
        Sorted = false;
    }

    /// <summary>llama_sampler_softmax_impl: probabilities from the logits, optionally sorting first.</summary>
    public void Softmax(bool sort)
    {
        if (Size == 0)
        {
            throw new InvalidOperationException("Softmax over no candidates.");
        }
        if (sort && !Sorted)
        {
            PartialSortInPlace(Size);
        }
        var items = Items;
        float max = items[0].Logit;
        if (!Sorted)
        {
            for (int i = 1; i < items.Length; i++)
            {
                max = max < items[i].Logit ? items[i].Logit : max;
            }
        }
        float sum = 0f;
        for (int i = 0; i < items.Length; i++)
        {
            float p = MathF.Exp(items[i].Logit - max);
            items[i].P = p;
            sum += p;
        }
        for (int i = 0; i < items.Length; i++)
        {
            items[i].P /= sum;
        }
    }

    /// <summary>llama_sampler_temp_impl: logits divided by the temperature; at or below 0, every logit but the first maximum becomes -inf.</summary>
    public void ScaleByTemperature(float temperature)
    {
        var items = Items;
        if (items.IsEmpty)
        {
            return;
        }
        if (temperature <= 0f)
        {
            int maxIndex = 0;
            float max = items[0].Logit;
            for (int i = 1; i < items.Length; i++)
            {
                if (items[i].Logit > max)
                {
                    items[maxIndex].Logit = float.NegativeInfinity;
                    maxIndex = i;
                    max = items[i].Logit;
                }
                else
                {
                    items[i].Logit = float.NegativeInfinity;
                }
            }
            return;
        }
        for (int i = 0; i < items.Length; i++)
        {
            items[i].Logit /= temperature;
        }
    }

    /// <summary>llama_sampler_top_k_impl: keeps the k highest logits (k &lt;= 0 keeps all).</summary>
    public void KeepTopK(int k)
    {
        if (k <= 0)
        {
            return;
        }
        k = Math.Min(k, Size);
        if (!Sorted)
        {
            PartialSortInPlace(k);
        }
        Size = k;
    }

    /// <summary>
    /// llama_token_data_array_partial_sort_inplace: the window shrinks to its <paramref name="count"/> highest
    /// logits in descending order, by std::partial_sort up to 128 and by the bucket sort above.
    /// </summary>
    public void PartialSortInPlace(int count)
    {
        if (count <= 128)
        {
            LibStdCxxSort.PartialSort(Items, count, default(LogitDescending));
        }
        else
        {
            PartialSortInto(count, ref _sorted);
            _sorted.AsSpan(0, count).CopyTo(Items);
        }
        Size = count;
        Sorted = true;
    }

    /// <summary>
    /// llama_token_data_array_partial_sort: copies the candidates of the highest logit buckets (at least
    /// <paramref name="count"/>) into <paramref name="result"/>, the first <paramref name="count"/> of them sorted by
    /// descending logit, leaving the window as it is. Returns how many it copied.
    /// </summary>
    public int PartialSortInto(int count, ref TokenCandidate[] result)
    {
        var items = Items;
        Span<int> histogram = stackalloc int[BucketCount];
        histogram.Clear();
        if (_buckets.Length < items.Length)
        {
            _buckets = new byte[items.Length];
        }
        var buckets = _buckets;
        for (int i = 0; i < items.Length; i++)
        {
            int bucket = Math.Clamp(TruncateToInt32(BucketScale * items[i].Logit + BucketOffset), 0, BucketCount - 1);
            buckets[i] = (byte)bucket;
            histogram[bucket]++;
        }
        int have = 0;
        int lowest = BucketCount - 1;
        for (; lowest >= 0; lowest--)
        {
            have += histogram[lowest];
            if (have >= count)
            {
                break;
            }
        }
        if (result.Length < have)
        {
            result = new TokenCandidate[Math.Max(have, items.Length)];
        }
        Span<int> next = stackalloc int[BucketCount];
        int position = 0;
        for (int bucket = BucketCount - 1; bucket >= lowest; bucket--)
        {
            next[bucket] = position;
            position += histogram[bucket];
        }
        for (int i = 0; i < items.Length; i++)
        {
            int bucket = buckets[i];
            if (bucket >= lowest)
            {
                result[next[bucket]++] = items[i];
            }
        }
        int start = 0;
        int done = 0;
        for (int bucket = BucketCount - 1; bucket > lowest; bucket--)
        {
            LibStdCxxSort.Sort(result.AsSpan(start, histogram[bucket]), default(LogitDescending));
            start += histogram[bucket];
            done += histogram[bucket];
        }
        LibStdCxxSort.PartialSort(result.AsSpan(start, histogram[lowest]), count - done, default(LogitDescending));
        return have;
    }

    /// <summary>C++'s int(x) as x86's cvttss2si does it: NaN and values outside int32 give INT_MIN.</summary>
    private static int TruncateToInt32(float x) => x >= -2147483648f && x < 2147483648f ? (int)x : int.MinValue;
}
