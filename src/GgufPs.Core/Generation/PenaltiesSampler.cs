namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's penalties sampler over the last n accepted tokens: a repeated token's logit is divided by the
/// repeat penalty when positive (multiplied when not), then lowered by count·frequency + presence.
/// </summary>
internal sealed class PenaltiesSampler(int lastN, float repeat, float frequency, float presence) : Sampler
{
    private readonly Queue<int> _recent = new();
    private readonly Dictionary<int, int> _counts = [];

    public override string Name => "penalties";

    public override void Accept(int token)
    {
        if (lastN == 0)
        {
            return;
        }
        _counts[token] = _counts.GetValueOrDefault(token) + 1;
        if (_recent.Count >= lastN)
        {
            int old = _recent.Dequeue();
            if (--_counts[old] == 0)
            {
                _counts.Remove(old);
            }
        }
        _recent.Enqueue(token);
    }

    public override void Apply(TokenCandidates candidates)
    {
        if (lastN == 0 || (repeat == 1f && frequency == 0f && presence == 0f))
        {
            return;
        }
        var items = candidates.Items;
        for (int i = 0; i < items.Length; i++)
        {
            if (!_counts.TryGetValue(items[i].Id, out int count))
            {
                continue;
            }
            if (items[i].Logit <= 0)
            {
                items[i].Logit *= repeat;
            }
            else
            {
                items[i].Logit /= repeat;
            }
            items[i].Logit -= (float)count * frequency + (count > 0 ? 1f : 0f) * presence;
        }
        candidates.Sorted = false;
    }

    public override void Reset()
    {
        _recent.Clear();
        _counts.Clear();
    }
}
