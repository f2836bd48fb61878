namespace GgufPs.Generation;

/// <summary>
/// The settings of llama.cpp's sampler chain (common_params_sampling), with its defaults. A setting at its
/// "off" value (top-k 0, top-p 1, min-p 0, typical-p 1, repeat penalty 1 with no frequency or presence penalty,
/// XTC probability 0, top-n-sigma ≤ 0) leaves its sampler out, as llama.cpp does.
/// </summary>
public sealed class SamplingOptions
{
    /// <summary>LLAMA_DEFAULT_SEED: a seed of 0xFFFFFFFF asks for a random one.</summary>
    public const uint RandomSeed = uint.MaxValue;

    /// <summary>Pick the highest logit (llama.cpp's greedy sampler) instead of sampling.</summary>
    public bool Greedy { get; init; }

    public uint Seed { get; init; } = RandomSeed;

    public float Temperature { get; init; } = 0.8f;

    /// <summary>Dynamic temperature range (dynatemp_range): the temperature varies within ±this by entropy.</summary>
    public float DynamicTemperatureRange { get; init; }

    public float DynamicTemperatureExponent { get; init; } = 1f;

    public int TopK { get; init; } = 40;

    public float TopP { get; init; } = 0.95f;

    public float MinP { get; init; } = 0.05f;

    public float TypicalP { get; init; } = 1f;

    public float TopNSigma { get; init; } = -1f;

    public float XtcProbability { get; init; }

    public float XtcThreshold { get; init; } = 0.1f;

    /// <summary>How many of the last accepted tokens the penalties look at (negative values count as 0, as llama_sampler_init_penalties).</summary>
    public int RepeatLastN { get; init; } = 64;

    public float RepeatPenalty { get; init; } = 1f;

    public float FrequencyPenalty { get; init; }

    public float PresencePenalty { get; init; }

    /// <summary>The fewest candidates top-p, min-p, typical-p and XTC keep.</summary>
    public int MinKeep { get; init; }
}
