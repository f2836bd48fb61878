using System.Globalization;
using System.Text;
using GgufPs.Conversion;

namespace GgufPs.Workflow;

/// <summary>
/// One conversion of Convert-Model: the plan, the parts when the output is split (convert_hf_to_gguf's
/// --split-max-size/--split-max-tensors), the files it writes, how it is described for confirmation and -WhatIf, and
/// the run. It holds the inputs open; dispose it when done.
/// </summary>
public sealed class ConversionJob : IDisposable
{
    private readonly string _inputPath;

    private ConversionJob(string inputPath, ConversionPlan plan, IReadOnlyList<ConversionSplitPart>? parts)
    {
        _inputPath = inputPath;
        Plan = plan;
        Parts = parts;
    }

    public ConversionPlan Plan { get; }

    /// <summary>The parts of a split output (one part when the model fits the limits), or null when no limit was given.</summary>
    public IReadOnlyList<ConversionSplitPart>? Parts { get; }

    /// <summary>Every file the run writes, the first first.</summary>
    public IReadOnlyList<string> OutputPaths => Parts?.Select(p => p.Path).ToList() ?? [Plan.OutputPath];

    /// <summary>
    /// Plans converting <paramref name="inputPath"/>, split when <paramref name="splitMaxSize"/> (bytes, or '500M',
    /// '5G') or <paramref name="splitMaxTensors"/> is given; <paramref name="warning"/> hears what planning noticed.
    /// </summary>
    public static ConversionJob Create(string inputPath, ConversionOptions options, string? splitMaxSize, int? splitMaxTensors, Action<string> warning)
    {
        ArgumentNullException.ThrowIfNull(warning);
        var plan = ModelConverter.Plan(inputPath, options, warning);
        try
        {
            long? maxBytes = splitMaxSize is null ? null : ConversionSplit.ParseSize(splitMaxSize);
            var parts = maxBytes is null && splitMaxTensors is null ? null : ConversionSplit.Plan(plan, splitMaxTensors, maxBytes);
            if (parts is { Count: 1 })
            {
                warning("The model fits in one file within the split limits, so it is not split.");
            }
            return new ConversionJob(inputPath, plan, parts);
        }
        catch
        {
            plan.Dispose();
            throw;
        }
    }

    /// <summary>The confirmation: input, architecture, tensors, type, outputs and size.</summary>
    public string Summary
    {
        get
        {
            string target = Parts is { Count: > 1 } ? $"{Parts.Count} files, '{Parts[0].Path}' ..." : $"'{Plan.OutputPath}'";
            return $"Convert '{_inputPath}' ({Plan.Architecture}, {Plan.Tensors.Count} tensors, {Plan.OutputType}) to {target} ({ByteSize.Format(Parts?.Sum(p => p.PredictedSize) ?? Plan.PredictedSize)})";
        }
    }

    /// <summary>The -WhatIf text: the summary, the parts, the warnings, the metadata and every tensor's mapping and types.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine(Summary + ".");
        foreach (var part in Parts is { Count: > 1 } ? Parts : [])
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {part.Path}: {part.Tensors.Count} tensors, {part.PredictedSize:N0} bytes");
        }
        foreach (string warning in Plan.Warnings)
        {
            sb.AppendLine("  warning: " + warning);
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"  Parameters: {Plan.ParameterCount:N0}; predicted size: {Plan.PredictedSize:N0} bytes");
        sb.AppendLine("  Metadata:");
        foreach (var entry in Plan.Metadata)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"    {entry.Key} = {entry.DisplayValue}");
        }
        sb.AppendLine("  Tensors (source -> GGUF name, shape, from -> to):");
        int width = Plan.Tensors.Count == 0 ? 0 : Plan.Tensors.Max(t => t.SourceName.Length);
        foreach (var t in Plan.Tensors)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"    {t.SourceName.PadRight(width)} -> {t.Name} [{string.Join(", ", t.Shape)}] {t.SourceType} -> {t.Type}{(t.Transform == TensorTransform.None ? "" : $" ({t.Transform})")}");
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>The progress status while the run writes.</summary>
    public string ProgressStatus => $"Converting to {OutputPaths[0]}";

    /// <summary>The tensor at hand, or the finish.</summary>
    public static string CurrentOperation(ConversionProgress progress) =>
        progress.TensorIndex == progress.TensorCount ? "Finishing" : $"Tensor {progress.TensorIndex + 1} of {progress.TensorCount}: {progress.TensorName}";

    /// <summary>Writes the output (or its parts) and describes the first file written.</summary>
    public GgufModelInfo Run(bool overwrite, IProgress<ConversionProgress>? progress, CancellationToken cancel)
    {
        if (Parts is null)
        {
            GgufModelWriter.Write(Plan, overwrite, progress, cancel);
        }
        else
        {
            GgufModelWriter.WriteSplit(Plan, Parts, overwrite, progress, cancel);
        }
        return GgufFile.ReadInfo(OutputPaths[0]);
    }

    public void Dispose() => Plan.Dispose();
}
