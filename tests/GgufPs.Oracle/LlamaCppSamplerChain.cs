using GgufPs.Generation;

namespace GgufPs.Oracle;

/// <summary>
/// A llama.cpp sampler chain built as common_sampler_init builds it (penalties, DRY off, top-n-sigma, top-k,
/// typical-p, top-p, min-p, XTC, temp-ext, dist), or greedy alone; driven with logits the caller supplies.
/// </summary>
internal sealed unsafe class LlamaCppSamplerChain : IDisposable
{
    private IntPtr _chain;
    private GgufPs.Generation.TokenCandidate[] _data = [];

    public LlamaCppSamplerChain(SamplingOptions o, uint seed)
    {
        LlamaNative.EnsureLoaded();
        _chain = LlamaNative.llama_sampler_chain_init(1);
        if (o.Greedy)
        {
            Add(LlamaNative.llama_sampler_init_greedy());
            return;
        }
        nuint minKeep = (nuint)o.MinKeep;
        Add(LlamaNative.llama_sampler_init_penalties(o.RepeatLastN, o.RepeatPenalty, o.FrequencyPenalty, o.PresencePenalty));
        Add(LlamaNative.llama_sampler_init_top_n_sigma(o.TopNSigma));
        Add(LlamaNative.llama_sampler_init_top_k(o.TopK));
        Add(LlamaNative.llama_sampler_init_typical(o.TypicalP, minKeep));
        Add(LlamaNative.llama_sampler_init_top_p(o.TopP, minKeep));
        Add(LlamaNative.llama_sampler_init_min_p(o.MinP, minKeep));
        Add(LlamaNative.llama_sampler_init_xtc(o.XtcProbability, o.XtcThreshold, minKeep, seed));
        Add(LlamaNative.llama_sampler_init_temp_ext(o.Temperature, o.DynamicTemperatureRange, o.DynamicTemperatureExponent));
        Add(LlamaNative.llama_sampler_init_dist(seed));
    }

    public uint Seed => LlamaNative.llama_sampler_get_seed(_chain);

    /// <summary>llama_sampler_apply on {id, logit, 0} for every id, unsorted; returns the chosen id.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_data.Length < logits.Length)
        {
            _data = new GgufPs.Generation.TokenCandidate[logits.Length];
        }
        for (int i = 0; i < logits.Length; i++)
        {
            _data[i] = new GgufPs.Generation.TokenCandidate(i, logits[i], 0f);
        }
        fixed (GgufPs.Generation.TokenCandidate* p = _data)
        {
            var array = new LlamaTokenDataArray { Data = p, Size = (nuint)logits.Length, Selected = -1, Sorted = 0 };
            LlamaNative.llama_sampler_apply(_chain, &array);
            if (array.Selected < 0 || array.Selected >= (long)array.Size)
            {
                throw new InvalidOperationException($"llama.cpp selected index {array.Selected} of {array.Size}.");
            }
            return array.Data[array.Selected].Id;
        }
    }

    public void Accept(int token) => LlamaNative.llama_sampler_accept(_chain, token);

    public void Reset() => LlamaNative.llama_sampler_reset(_chain);

    public void Dispose()
    {
        if (_chain != IntPtr.Zero)
        {
            LlamaNative.llama_sampler_free(_chain);
            _chain = IntPtr.Zero;
        }
    }

    private void Add(IntPtr sampler) => LlamaNative.llama_sampler_chain_add(_chain, sampler);
}
