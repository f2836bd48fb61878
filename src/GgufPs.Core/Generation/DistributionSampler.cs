namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's dist sampler: a softmax whose sum is kept in double, then one uniform draw (std::mt19937 through
/// uniform_real_distribution&lt;double&gt;) scaled by that sum and matched against the running sum of the
/// unnormalised probabilities, in candidate order. Older llama.cpp drew through std::discrete_distribution instead.
/// </summary>
internal sealed class DistributionSampler : Sampler
{
    private readonly uint _seed;
    private readonly MersenneTwister _random;

    public DistributionSampler(uint seed)
    {
        _seed = seed;
        _random = new MersenneTwister(seed);
    }

    public override string Name => "dist";

    public override void Apply(TokenCandidates candidates)
    {
        var items = candidates.Items;
        if (items.IsEmpty)
        {
            candidates.Selected = -1;
            return;
        }
        candidates.Selected = 0;
        if (items.Length == 1)
        {
            items[0].P = 1f;
            return;
        }
        float max = items[0].Logit;
        if (!candidates.Sorted)
        {
            for (int i = 1; i < items.Length; i++)
            {
                max = max < items[i].Logit ? items[i].Logit : max;
            }
        }
        double sum = 0.0;
        for (int i = 0; i < items.Length; i++)
        {
            float p = MathF.Exp(items[i].Logit - max);
            items[i].P = p;
            sum += p;
        }
        double target = sum * _random.NextDouble();
        double running = 0.0;
        bool found = false;
        for (int i = 0; i < items.Length; i++)
        {
            if (!found)
            {
                running += items[i].P;
                if (running >= target)
                {
                    candidates.Selected = i;
                    found = true;
                }
            }
            items[i].P = (float)(items[i].P / sum);
        }
        if (!found)
        {
            candidates.Selected = items.Length - 1;
        }
    }

    public override void Reset() => _random.Seed(_seed);
}
