using System.Security.Cryptography;

namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's sampler chain as common_sampler_init builds it: penalties, top-n-sigma, top-k, typical-p, top-p,
/// min-p, XTC and temperature, then dist with the seed; or llama.cpp's greedy sampler alone. Given the same logits,
/// seed and accepted tokens it chooses the same tokens as llama.cpp (libllama's sorts, float steps and Mersenne
/// Twister draws are reproduced exactly). DRY, mirostat, adaptive-p, logit bias and grammars are not implemented.
/// </summary>
public sealed class SamplerChain
{
    private readonly List<Sampler> _samplers;
    private readonly TokenCandidates _candidates;

    private SamplerChain(List<Sampler> samplers, uint seed, int vocabularySize)
    {
        _samplers = samplers;
        Seed = seed;
        _candidates = new TokenCandidates(vocabularySize);
    }

    /// <summary>The seed the random samplers use: the one asked for, or the random one drawn for <see cref="SamplingOptions.RandomSeed"/>.</summary>
    public uint Seed { get; }

    /// <summary>llama.cpp's names of the samplers in the chain, in order.</summary>
    public IReadOnlyList<string> SamplerNames => _samplers.Select(s => s.Name).ToArray();

    /// <exception cref="ArgumentException">A setting is out of range (a negative temperature range, a NaN).</exception>
    public static SamplerChain Create(SamplingOptions options, int vocabularySize = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        uint seed = options.Seed == SamplingOptions.RandomSeed ? DrawSeed() : options.Seed;
        var samplers = new List<Sampler>();
        if (options.Greedy)
        {
            samplers.Add(new GreedySampler());
            return new SamplerChain(samplers, seed, vocabularySize);
        }
        int minKeep = options.MinKeep;
        int lastN = Math.Max(options.RepeatLastN, 0);
        if (lastN != 0 && !(options.RepeatPenalty == 1f && options.FrequencyPenalty == 0f && options.PresencePenalty == 0f))
        {
            samplers.Add(new PenaltiesSampler(lastN, options.RepeatPenalty, options.FrequencyPenalty, options.PresencePenalty));
        }
        if (options.TopNSigma > 0f)
        {
            samplers.Add(new TopNSigmaSampler(options.TopNSigma));
        }
        if (options.TopK > 0)
        {
            samplers.Add(new TopKSampler(options.TopK));
        }
        if (options.TypicalP < 1f)
        {
            samplers.Add(new TypicalSampler(options.TypicalP, minKeep));
        }
        if (options.TopP < 1f)
        {
            samplers.Add(new TopPSampler(options.TopP, minKeep));
        }
        if (options.MinP > 0f)
        {
            samplers.Add(new MinPSampler(options.MinP, minKeep));
        }
        if (options.XtcProbability > 0f && options.XtcThreshold <= 0.5f)
        {
            samplers.Add(new XtcSampler(options.XtcProbability, options.XtcThreshold, minKeep, seed));
        }
        if (!(options.Temperature == 1f && options.DynamicTemperatureRange <= 0f))
        {
            samplers.Add(new TemperatureSampler(options.Temperature, options.DynamicTemperatureRange, options.DynamicTemperatureExponent));
        }
        samplers.Add(new DistributionSampler(seed));
        return new SamplerChain(samplers, seed, vocabularySize);
    }

    /// <summary>
    /// Runs the chain over one position's logits (one per vocabulary id) and returns the chosen token, as
    /// llama_sampler_apply on a fresh llama_token_data_array. The token is not accepted: call <see cref="Accept"/>.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("There are no logits to sample from.", nameof(logits));
        }
        _candidates.Reset(logits);
        foreach (var sampler in _samplers)
        {
            sampler.Apply(_candidates);
        }
        return _candidates.SelectedId;
    }

    /// <summary>Records a generated (or prompt) token for the penalties, as llama_sampler_accept on the chain.</summary>
    public void Accept(int token)
    {
        foreach (var sampler in _samplers)
        {
            sampler.Accept(token);
        }
    }

    /// <summary>Forgets the accepted tokens and restarts the random streams from the seed (llama_sampler_reset).</summary>
    public void Reset()
    {
        foreach (var sampler in _samplers)
        {
            sampler.Reset();
        }
    }

    private static uint DrawSeed()
    {
        // LLAMA_DEFAULT_SEED itself would mean "random" again if reported and passed back.
        uint seed;
        do
        {
            seed = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        }
        while (seed == SamplingOptions.RandomSeed);
        return seed;
    }

    private static void Validate(SamplingOptions o)
    {
        foreach (var (name, value) in new (string, float)[]
        {
            (nameof(o.Temperature), o.Temperature), (nameof(o.TopP), o.TopP), (nameof(o.MinP), o.MinP),
            (nameof(o.TypicalP), o.TypicalP), (nameof(o.TopNSigma), o.TopNSigma), (nameof(o.XtcProbability), o.XtcProbability),
            (nameof(o.XtcThreshold), o.XtcThreshold), (nameof(o.RepeatPenalty), o.RepeatPenalty),
            (nameof(o.FrequencyPenalty), o.FrequencyPenalty), (nameof(o.PresencePenalty), o.PresencePenalty),
            (nameof(o.DynamicTemperatureRange), o.DynamicTemperatureRange), (nameof(o.DynamicTemperatureExponent), o.DynamicTemperatureExponent),
        })
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"{name} must be a finite number, not {value}.", name);
            }
        }
        if (o.MinKeep < 0)
        {
            throw new ArgumentException($"MinKeep must be 0 or more, not {o.MinKeep}.", nameof(o.MinKeep));
        }
    }
}
