namespace GgufPs.Generation;

/// <summary>llama.cpp's greedy sampler: the highest logit, the first one on ties (the lowest id on an unsorted vocabulary).</summary>
internal sealed class GreedySampler : Sampler
{
    public override string Name => "greedy";

    public override void Apply(TokenCandidates candidates)
    {
        var items = candidates.Items;
        int selected = 0;
        for (int i = 1; i < items.Length; i++)
        {
            if (items[i].Logit > items[selected].Logit)
            {
                selected = i;
            }
        }
        candidates.Selected = items.IsEmpty ? -1 : selected;
    }
}
