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
            OutputFile.Check(plan.OutputPath, [input], Force);
            string summary = $"Convert '{input}' ({plan.Architecture}, {plan.Tensors.Count} tensors, {plan.OutputType}) to '{plan.OutputPath}' ({ByteSize.Format(plan.PredictedSize)})";
            if (ShouldProcess(Describe(plan, summary), summary, "Convert-Model"))
            {
                WriteObject(RunWorker((channel, cancel) => Write(channel, cancel, plan)));
            }
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, input);
        }
    }

    // On the worker thread.
    private GgufModelInfo Write(WorkerChannel channel, CancellationToken cancel, ConversionPlan plan)
    {
        GgufModelWriter.Write(plan, Force, channel.ProgressOf<ConversionProgress>(p => new WorkerProgress(1, "Convert-Model", $"Converting to {plan.OutputPath}")
        {
            PercentComplete = (int)(p.Fraction * 100),
            Remaining = p.Remaining,
            CurrentOperation = p.TensorIndex == p.TensorCount ? "Finishing" : $"Tensor {p.TensorIndex + 1} of {p.TensorCount}: {p.TensorName}",
        }), cancel);
        return GgufFile.ReadInfo(plan.OutputPath);
    }

    /// <summary>The -WhatIf text: the output, its size, the metadata and every tensor's mapping and types.</summary>
    private static string Describe(ConversionPlan plan, string summary)
    {
        var sb = new StringBuilder();
        sb.AppendLine(summary + ".");
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
