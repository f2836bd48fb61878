using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// One file and type of Invoke-Quantize: the plan, the parts when a split set is kept split (llama-quantize
/// --keep-split), the files it writes, and the run.
/// </summary>
public sealed class QuantizationJob
{
    private QuantizationJob(QuantizationPlan plan, KeepSplitPlan? split, string outputPath)
    {
        Plan = plan;
        Split = split;
        OutputPath = outputPath;
    }

    public QuantizationPlan Plan { get; }

    /// <summary>The parts, or null for one output file.</summary>
    public KeepSplitPlan? Split { get; }

    public string OutputPath { get; }

    /// <summary>Every file the run writes.</summary>
    public IEnumerable<string> OutputPaths => Split?.Parts.Select(p => p.Path) ?? [OutputPath];

    /// <summary>
    /// Plans quantizing <paramref name="inputPath"/>. <paramref name="keepSplit"/> applies to a split set only; for a
    /// single file <paramref name="warning"/> hears so before planning starts.
    /// </summary>
    public static QuantizationJob Create(string inputPath, string outputPath, QuantizationSettings settings, QuantizationPreset preset,
        ImportanceMatrix? importance, bool keepSplit, Action<string> warning)
    {
        using var file = GgufFile.Open(inputPath);
        if (keepSplit && !file.IsSplit)
        {
            warning($"-KeepSplit: '{inputPath}' is not a split set, so the output is one file.");
        }
        var options = settings.OptionsFor(preset, importance, keepSplit && file.IsSplit);
        var plan = QuantizationPlanner.Create(file, options);
        return new QuantizationJob(plan, options.KeepSplit ? KeepSplitPlan.Create(plan, outputPath) : null, outputPath);
    }

    public GgufModelInfo Run(bool overwrite, int threads, IProgress<QuantizationProgress>? progress, CancellationToken cancel) =>
        Split is null
            ? ModelQuantizer.Run(Plan, OutputPath, overwrite, threads, progress, cancel)
            : ModelQuantizer.RunKeepSplit(Split.Plan, OutputPath, overwrite, threads, progress, cancel);
}
