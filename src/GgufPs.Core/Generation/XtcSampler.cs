namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's XTC ("exclude top choices") sampler: with the given probability (one float draw from its own
/// std::mt19937), every candidate at or above the threshold except the least likely of them is removed.
/// </summary>
internal sealed class XtcSampler : Sampler
{
    private readonly float _probability;
    private readonly float _threshold;
    private readonly int _minKeep;
    private readonly uint _seed;
    private readonly MersenneTwister _random;

    public XtcSampler(float probability, float threshold, int minKeep, uint seed)
    {
        _probability = probability;
        _threshold = threshold;
        _minKeep = minKeep;
        _seed = seed;
        _random = new MersenneTwister(seed);
    }

    public override string Name => "xtc";

    public override void Apply(TokenCandidates candidates)
    {
        if (_probability <= 0f || _threshold > 0.5f || candidates.Size < 2)
        {
            return;
        }
        if (_random.NextSingle() > _probability)
        {
            return;
        }
        candidates.Softmax(sort: true);
        var items = candidates.Items;
        int lastAbove = 0;
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].P >= _threshold)
            {
                lastAbove = i;
            }
            else
            {
                break;
            }
        }
        if (items.Length - lastAbove >= _minKeep && lastAbove > 0)
        {
            candidates.Offset += lastAbove;
            candidates.Size -= lastAbove;
        }
    }

    public override void Reset() => _random.Seed(_seed);
}
