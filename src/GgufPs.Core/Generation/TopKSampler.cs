namespace GgufPs.Generation;

/// <summary>llama.cpp's top-k sampler: the k highest logits, sorted.</summary>
internal sealed class TopKSampler(int k) : Sampler
{
    public override string Name => "top-k";

    public override void Apply(TokenCandidates candidates) => candidates.KeepTopK(k);
}
