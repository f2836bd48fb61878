namespace GgufPs.Generation;

/// <summary>One step of a sampler chain, as llama.cpp's llama_sampler: it narrows or reweighs the candidates, may choose one, and may learn from the tokens accepted.</summary>
internal abstract class Sampler
{
    /// <summary>llama.cpp's name for the sampler (llama_sampler_name).</summary>
    public abstract string Name { get; }

    public abstract void Apply(TokenCandidates candidates);

    /// <summary>Records a token that was generated (or fed as prompt), as llama_sampler_accept.</summary>
    public virtual void Accept(int token)
    {
    }

    /// <summary>Forgets what was accepted and restarts any random stream from its seed, as llama_sampler_reset.</summary>
    public virtual void Reset()
    {
    }
}
