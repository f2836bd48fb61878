namespace GgufPs.Generation;

/// <summary>llama.cpp's candidate order: a.logit &gt; b.logit.</summary>
internal readonly struct LogitDescending : IOrdering<TokenCandidate>
{
    public bool Before(in TokenCandidate a, in TokenCandidate b) => a.Logit > b.Logit;
}
