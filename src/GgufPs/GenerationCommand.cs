using System.Management.Automation;
using GgufPs.Generation;

namespace GgufPs.Commands;

/// <summary>
/// The parameters Invoke-TextGeneration and Enter-Chat share: llama.cpp's sampler chain with its defaults (in its
/// order: repetition penalty, top-k, top-p, min-p, temperature, then the seeded draw), or greedy decoding; stop
/// strings, the context and the threads.
/// </summary>
public abstract class GenerationCommand : LongRunningCommand
{
    [Parameter]
    public SwitchParameter Greedy { get; set; }

    /// <summary>The sampler's seed; a random one when not given (reported in the result).</summary>
    [Parameter]
    public uint Seed { get; set; } = SamplingOptions.RandomSeed;

    [Parameter]
    [ValidateRange(0f, 100f)]
    public float Temperature { get; set; } = 0.8f;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int TopK { get; set; } = 40;

    [Parameter]
    [ValidateRange(0f, 1f)]
    public float TopP { get; set; } = 0.95f;

    [Parameter]
    [ValidateRange(0f, 1f)]
    public float MinP { get; set; } = 0.05f;

    [Parameter]
    [ValidateRange(0f, 100f)]
    public float RepeatPenalty { get; set; } = 1.0f;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int RepeatLastN { get; set; } = 64;

    [Parameter]
    [AllowEmptyCollection]
    [ValidateNotNull]
    public string[] Stop { get; set; } = [];

    [Parameter]
    [ArgumentCompleter(typeof(ChatTemplateCompleter))]
    [ValidateNotNullOrEmpty]
    public string? ChatTemplate { get; set; }

    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int Context { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>The options of these parameters, with <paramref name="maxTokens"/> and <paramref name="ignoreEos"/>.</summary>
    protected GenerationOptions GenerationOptions(int maxTokens, bool ignoreEos) => new()
    {
        Sampling = new SamplingOptions
        {
            Greedy = Greedy,
            Seed = Seed,
            Temperature = Temperature,
            TopK = TopK,
            TopP = TopP,
            MinP = MinP,
            RepeatPenalty = RepeatPenalty,
            RepeatLastN = RepeatLastN,
        },
        MaxTokens = maxTokens,
        StopStrings = Stop,
        IgnoreEos = ignoreEos,
        Context = IsBound(nameof(Context)) ? Context : null,
        Threads = Threads,
    };

    /// <summary>A line for -Verbose: the sampler chain as llama-cli prints it.</summary>
    protected static string DescribeSampling(GenerationOptions options) =>
        $"Sampler chain: {string.Join(" -> ", SamplerChain.Create(options.Sampling).SamplerNames)}" +
        (options.StopStrings.Count > 0 ? $"; stop strings: {string.Join(", ", options.StopStrings.Select(s => $"'{s}'"))}" : "");
}
