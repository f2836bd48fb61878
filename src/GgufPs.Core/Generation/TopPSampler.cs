namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's top-p (nucleus) sampler: the smallest set of highest-probability candidates whose probabilities add
/// up to at least p (and at least minKeep of them). Large unsorted vocabularies are first sorted only in their top
/// 256, as llama.cpp does, and fully when that is not enough.
/// </summary>
internal sealed class TopPSampler(float p, int minKeep) : Sampler
{
    private TokenCandidate[] _sorted = [];

    public override string Name => "top-p";

    public override void Apply(TokenCandidates candidates)
    {
        if (p >= 1f)
        {
            return;
        }
        candidates.Softmax(sort: false);
        int size = candidates.Size;
        int k = size;
        bool useBuffer = false;
        if (!candidates.Sorted && size > 1024)
        {
            k = Math.Min(256, size);
            candidates.PartialSortInto(k, ref _sorted);
            useBuffer = true;
        }
        else if (!candidates.Sorted)
        {
            candidates.PartialSortInPlace(k);
        }

        float sum = 0f;
        int last = size;
        for (int i = 0; i < size; i++)
        {
            sum += useBuffer ? _sorted[i].P : candidates.Items[i].P;
            if (sum >= p && i + 1 >= minKeep)
            {
                last = i + 1;
                break;
            }
            if (!candidates.Sorted && i == k - 1)
            {
                k = size;
                candidates.PartialSortInto(k, ref _sorted);
                useBuffer = true;
            }
        }
        if (!candidates.Sorted)
        {
            _sorted.AsSpan(0, last).CopyTo(candidates.Items);
            candidates.Sorted = true;
        }
        candidates.Size = last;
    }
}
