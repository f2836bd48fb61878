using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using GgufPs.Conversion;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>Convert-Model: a Hugging Face model folder (or a llama2.c checkpoint) to GGUF, streamed tensor by tensor.</summary>
[Cmdlet(VerbsData.Convert, "Model", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class ConvertModelCommand : LongRunningCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public ConversionOutputType OutType { get; set; } = ConversionOutputType.F16;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter VocabOnly { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public IDictionary? Metadata { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TokenizerPath { get; set; }

    /// <summary>--split-max-size: bytes, or convert_hf_to_gguf's '500M'/'5G' (K, M, G are powers of 1000).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SplitMaxSize { get; set; }

    /// <summary>--split-max-tensors.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int SplitMaxTensors { get; set; }

    protected override void ProcessRecord()
    {
        string input = FileSystemPathResolver.ResolveOutput(this, Path);
        try
        {
            var options = new ConversionOptions
            {
                OutputType = OutType,
                OutputPath = OutputPath is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputPath),
                VocabOnly = VocabOnly,
                Metadata = PlainValueConverter.ToPlainEntries(Metadata, nameof(Metadata)).ToDictionary(e => e.Key, e => e.Value),
                TokenizerPath = TokenizerPath is null ? null : FileSystemPathResolver.ResolveOutput(this, TokenizerPath),
            };
            using var plan = ModelConverter.Plan(input, options, WriteWarning);
            long? maxBytes = SplitMaxSize is null ? null : ConversionSplit.ParseSize(SplitMaxSize);
            int? maxTensors = SplitMaxTensors > 0 ? SplitMaxTensors : null;
            var parts = maxBytes is null && maxTensors is null ? null : ConversionSplit.Plan(plan, maxTensors, maxBytes);
            if (parts is { Count: 1 })
            {
                WriteWarning("The model fits in one file within the split limits, so it is not split.");
            }
            var outputs = parts?.Select(p => p.Path).ToList() ?? [plan.OutputPath];
            foreach (string output in outputs)
            {
                OutputFile.Check(output, [input], Force);
            }
            string target = parts is { Count: > 1 } ? $"{parts.Count} files, '{parts[0].Path}' ..." : $"'{plan.OutputPath}'";
            string summary = $"Convert '{input}' ({plan.Architecture}, {plan.Tensors.Count} tensors, {plan.OutputType}) to {target} ({ByteSize.Format(parts?.Sum(p => p.PredictedSize) ?? plan.PredictedSize)})";
            if (ShouldProcess(Describe(plan, summary, parts), summary, "Convert-Model"))
            {
                WriteObject(RunWorker((channel, cancel) => Write(channel, cancel, plan, parts, outputs[0])));
            }
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, input);
        }
    }

    // On the worker thread.
    private GgufModelInfo Write(WorkerChannel channel, CancellationToken cancel, ConversionPlan plan, IReadOnlyList<ConversionSplitPart>? parts, string firstOutput)
    {
        var progress = channel.ProgressOf<ConversionProgress>(p => new WorkerProgress(1, "Convert-Model", $"Converting to {firstOutput}")
        {
            PercentComplete = (int)(p.Fraction * 100),
            Remaining = p.Remaining,
            CurrentOperation = p.TensorIndex == p.TensorCount ? "Finishing" : $"Tensor {p.TensorIndex + 1} of {p.TensorCount}: {p.TensorName}",
        });
        if (parts is null)
        {
            GgufModelWriter.Write(plan, Force, progress, cancel);
        }
        else
        {
            GgufModelWriter.WriteSplit(plan, parts, Force, progress, cancel);
        }
        return GgufFile.ReadInfo(firstOutput);
    }

    /// <summary>The -WhatIf text: the output, its size, the metadata and every tensor's mapping and types.</summary>
    private static string Describe(ConversionPlan plan, string summary, IReadOnlyList<ConversionSplitPart>? parts)
    {
        var sb = new StringBuilder();
        sb.AppendLine(summary + ".");
        foreach (var part in parts is { Count: > 1 } ? parts : [])
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {part.Path}: {part.Tensors.Count} tensors, {part.PredictedSize:N0} bytes");
        }
        foreach (string warning in plan.Warnings)
        {
            sb.AppendLine("  warning: " + warning);
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"  Parameters: {plan.ParameterCount:N0}; predicted size: {plan.PredictedSize:N0} bytes");
        sb.AppendLine("  Metadata:");
        foreach (var entry in plan.Metadata)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"    {entry.Key} = {entry.DisplayValue}");
        }
        sb.AppendLine("  Tensors (source -> GGUF name, shape, from -> to):");
        int width = plan.Tensors.Count == 0 ? 0 : plan.Tensors.Max(t => t.SourceName.Length);
        foreach (var t in plan.Tensors)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"    {t.SourceName.PadRight(width)} -> {t.Name} [{string.Join(", ", t.Shape)}] {t.SourceType} -> {t.Type}{(t.Transform == TensorTransform.None ? "" : $" ({t.Transform})")}");
        }
        return sb.ToString().TrimEnd();
    }
}
