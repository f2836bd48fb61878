namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's locally typical sampler: candidates ordered by how far their surprise (-log p) is from the entropy,
/// kept until their probabilities add up to more than p.
/// </summary>
internal sealed class TypicalSampler(float p, int minKeep) : Sampler
{
    private float[] _shifted = [];
    private int[] _indices = [];
    private TokenCandidate[] _kept = [];

    public override string Name => "typical";

    public override void Apply(TokenCandidates candidates)
    {
        if (p >= 1f)
        {
            return;
        }
        candidates.Softmax(sort: true);
        var items = candidates.Items;
        int size = items.Length;
        float entropy = 0f;
        for (int i = 0; i < size; i++)
        {
            entropy += -items[i].P * MathF.Log(items[i].P);
        }
        if (_shifted.Length < size)
        {
            _shifted = new float[size];
            _indices = new int[size];
            _kept = new TokenCandidate[size];
        }
        for (int i = 0; i < size; i++)
        {
            _shifted[i] = MathF.Abs(-MathF.Log(items[i].P) - entropy);
            _indices[i] = i;
        }
        var indices = _indices.AsSpan(0, size);
        LibStdCxxSort.Sort(indices, new ShiftedScoreAscending(_shifted));

        float sum = 0f;
        int last = size;
        for (int i = 0; i < size; i++)
        {
            sum += items[indices[i]].P;
            if (sum > p && (minKeep == 0 || i >= minKeep - 1))
            {
                last = i + 1;
                break;
            }
        }
        for (int i = 0; i < last; i++)
        {
            _kept[i] = items[indices[i]];
        }
        _kept.AsSpan(0, last).CopyTo(items);
        candidates.Size = last;
        candidates.Sorted = false;
    }

    private readonly struct ShiftedScoreAscending(float[] scores) : IOrdering<int>
    {
        public bool Before(in int a, in int b) => scores[a] < scores[b];
    }
}
