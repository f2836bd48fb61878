namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's min-p sampler: candidates whose probability is at least p times the highest, found by logit
/// (logit ≥ max + log p) in candidate order when unsorted, else by scanning the sorted candidates.
/// </summary>
internal sealed class MinPSampler(float p, int minKeep) : Sampler
{
    private TokenCandidate[] _kept = [];

    public override string Name => "min-p";

    public override void Apply(TokenCandidates candidates)
    {
        if (p <= 0f || candidates.Size == 0)
        {
            return;
        }
        bool applied = false;
        if (!candidates.Sorted)
        {
            var items = candidates.Items;
            float max = -float.MaxValue;
            for (int i = 0; i < items.Length; i++)
            {
                max = max < items[i].Logit ? items[i].Logit : max;
            }
            float threshold = max + MathF.Log(p);
            if (_kept.Length < items.Length)
            {
                _kept = new TokenCandidate[items.Length];
            }
            int count = 0;
            for (int i = 0; i < items.Length; i++)
            {
                if (items[i].Logit >= threshold)
                {
                    _kept[count++] = items[i];
                }
            }
            if (count > 0 && count >= minKeep)
            {
                _kept.AsSpan(0, count).CopyTo(items);
                candidates.Size = count;
                applied = true;
            }
        }
        if (!applied)
        {
            if (!candidates.Sorted)
            {
                candidates.PartialSortInPlace(candidates.Size);
            }
            var items = candidates.Items;
            float threshold = items[0].Logit + MathF.Log(p);
            int i = 1;
            for (; i < items.Length; i++)
            {
                if (items[i].Logit < threshold && i >= minKeep)
                {
                    break;
                }
            }
            candidates.Size = i;
        }
    }
}
