using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using GgufPs.Conversion;

namespace GgufPs.Commands;

/// <summary>Convert-Model: a Hugging Face model folder (or a llama2.c checkpoint) to GGUF, streamed tensor by tensor.</summary>
[Cmdlet(VerbsData.Convert, "Model", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class ConvertModelCommand : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();

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
            Convert(input);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException
            or NotImplementedException or InvalidDataException or OperationCanceledException or System.Text.Json.JsonException
            or OverflowException or FormatException)
        {
            WriteError(ErrorCatalog.Record(ex, input));
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void Convert(string input)
    {
        var options = new ConversionOptions
        {
            OutputType = OutType,
            OutputPath = OutputPath is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputPath),
            VocabOnly = VocabOnly,
            Metadata = Unwrap(Metadata),
            TokenizerPath = TokenizerPath is null ? null : FileSystemPathResolver.ResolveOutput(this, TokenizerPath),
        };
        using var plan = ModelConverter.Plan(input, options, WriteWarning);
        if (File.Exists(plan.OutputPath) && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"'{plan.OutputPath}' already exists; use -Force to replace it."),
                "OutputExists", ErrorCategory.ResourceExists, plan.OutputPath));
            return;
        }
        string summary = $"Convert '{input}' ({plan.Architecture}, {plan.Tensors.Count} tensors, {plan.OutputType}) to '{plan.OutputPath}' ({FormatSize(plan.PredictedSize)})";
        if (!ShouldProcess(Describe(plan, summary), summary, "Convert-Model"))
        {
            return;
        }
        var progress = new ProgressRecord(1, "Convert-Model", $"Converting to {plan.OutputPath}");
        GgufModelWriter.Write(plan, Force, new PipelineProgress(this, progress), _stop.Token);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        WriteObject(GgufFile.ReadInfo(plan.OutputPath));
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

    private static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes"),
    };

    // PowerShell may wrap values in PSObject; the core wants plain .NET values.
    private static Dictionary<string, object>? Unwrap(IDictionary? metadata)
    {
        if (metadata is null)
        {
            return null;
        }
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in metadata)
        {
            object key = e.Key is PSObject pk ? pk.BaseObject : e.Key;
            object? value = e.Value is PSObject pv ? pv.BaseObject : e.Value;
            if (value is null)
            {
                throw new ArgumentException($"The metadata value for '{key}' is null.");
            }
            if (value is object[] items)
            {
                value = items.Select(i => i is PSObject p ? p.BaseObject : i).ToArray() switch
                {
                    var a when a.All(i => i is string) => a.Cast<string>().ToArray(),
                    var a when a.All(i => i is int) => a.Cast<int>().ToArray(),
                    var a => a.Select(i => System.Convert.ToString(i, CultureInfo.InvariantCulture) ?? "").ToArray(),
                };
            }
            result[System.Convert.ToString(key, CultureInfo.InvariantCulture)!] = value;
        }
        return result;
    }

    /// <summary>Turns the core's per-tensor reports into Write-Progress; the core reports on the calling (pipeline) thread.</summary>
    private sealed class PipelineProgress(PSCmdlet cmdlet, ProgressRecord record) : IProgress<ConversionProgress>
    {
        private readonly Stopwatch _shown = new();

        public void Report(ConversionProgress value)
        {
            // The first and last reports always show; in between, at most five a second.
            if (_shown.IsRunning && _shown.ElapsedMilliseconds < 200 && value.TensorIndex < value.TensorCount)
            {
                return;
            }
            _shown.Restart();
            record.PercentComplete = (int)(value.Fraction * 100);
            record.CurrentOperation = value.TensorCount == value.TensorIndex
                ? "Finishing"
                : $"Tensor {value.TensorIndex + 1} of {value.TensorCount}: {value.TensorName}";
            if (value.Remaining is { } left)
            {
                record.SecondsRemaining = (int)Math.Ceiling(left.TotalSeconds);
            }
            cmdlet.WriteProgress(record);
        }
    }
}
