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
        long? maxBytes = SplitMaxSize is null ? null : ConversionSplit.ParseSize(SplitMaxSize);
        int? maxTensors = SplitMaxTensors > 0 ? SplitMaxTensors : null;
        using var plan = ModelConverter.Plan(input, options, WriteWarning);
        var parts = maxBytes is null && maxTensors is null ? null : ConversionSplit.Plan(plan, maxTensors, maxBytes);
        if (parts is { Count: 1 })
        {
            WriteWarning("The model fits in one file within the split limits, so it is not split.");
        }
        var outputs = parts?.Select(p => p.Path).ToList() ?? [plan.OutputPath];
        if (!Force && outputs.FirstOrDefault(File.Exists) is { } existing)
        {
            WriteError(new ErrorRecord(new IOException($"'{existing}' already exists; use -Force to replace it."),
                "OutputExists", ErrorCategory.ResourceExists, existing));
            return;
        }
        string target = parts is { Count: > 1 } ? $"{parts.Count} files, '{parts[0].Path}' ..." : $"'{plan.OutputPath}'";
        string summary = $"Convert '{input}' ({plan.Architecture}, {plan.Tensors.Count} tensors, {plan.OutputType}) to {target} ({FormatSize(parts?.Sum(p => p.PredictedSize) ?? plan.PredictedSize)})";
        if (!ShouldProcess(Describe(plan, summary, parts), summary, "Convert-Model"))
        {
            return;
        }
        var progress = new ProgressRecord(1, "Convert-Model", $"Converting to {outputs[0]}");
        if (parts is null)
        {
            GgufModelWriter.Write(plan, Force, new PipelineProgress(this, progress), _stop.Token);
        }
        else
        {
            GgufModelWriter.WriteSplit(plan, parts, Force, new PipelineProgress(this, progress), _stop.Token);
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        WriteObject(GgufFile.ReadInfo(outputs[0]));
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
