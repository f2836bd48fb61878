using System.Collections.Concurrent;
using System.Diagnostics;
using System.Management.Automation;
using System.Text;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Compare-Quantization: the seed's format comparison for one's own model. Quantizes the source to each type,
/// measures perplexity, KL divergence and speed on the same text, and returns one row per type (after the source's
/// own baseline row). It writes files (the quantizations, removed afterwards unless -KeepFiles), so it supports
/// -WhatIf and -Confirm.
/// </summary>
[Cmdlet(VerbsData.Compare, "Quantization", DefaultParameterSetName = TextPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QuantizationComparison))]
public sealed class CompareQuantizationCommand : PSCmdlet
{
    private const string TextPathSet = "TextPath";
    private const string TextSet = "Text";

    private readonly CancellationTokenSource _stop = new();
    private List<QuantizationPreset> _presets = [];
    private ImportanceMatrix? _importance;
    private readonly ConcurrentQueue<string> _warnings = new();
    private byte[]? _text;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = TextPathSet)]
    [ValidateNotNullOrEmpty]
    public string TextPath { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Text { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(QuantizationTypeCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Type { get; set; } = [.. QuantizationComparisonOptions.DefaultTypeNames];

    [Parameter]
    [ValidateRange(4, 1 << 20)]
    public int Context { get; set; } = 512;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Chunks { get; set; }

    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; } = 2048;

    [Parameter]
    [ValidateRange(1, 1024)]
    public int Threads { get; set; } = Environment.ProcessorCount;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ImportanceMatrix { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    [Parameter]
    public SwitchParameter KeepFiles { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            _presets = Type.Select(QuantizationPreset.Parse).ToList();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidType", ErrorCategory.InvalidArgument, null));
        }
        if (ImportanceMatrix is not null)
        {
            string path = FileSystemPathResolver.ResolveOutput(this, ImportanceMatrix);
            try
            {
                _importance = Quantization.ImportanceMatrix.Load(path, ImportanceMatrix);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or GgufFormatException)
            {
                ThrowTerminatingError(ErrorCatalog.Record(ex, path));
            }
        }
    }

    protected override void ProcessRecord()
    {
        string source = FileSystemPathResolver.ResolveOutput(this, Path);
        if (!FileSystemPathResolver.CheckExistingFile(this, source) || !TryReadText(out byte[] text))
        {
            return;
        }
        QuantizationComparer comparer;
        try
        {
            comparer = QuantizationComparer.Open(source, new QuantizationComparisonOptions
            {
                Types = _presets,
                Context = Context,
                Chunks = MyInvocation.BoundParameters.ContainsKey(nameof(Chunks)) ? Chunks : null,
                BatchSize = BatchSize,
                Threads = Threads,
                ImportanceMatrix = _importance,
                OutputDirectory = OutputDirectory is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputDirectory),
                KeepFiles = KeepFiles,
                Overwrite = Force,
            }, _warnings.Enqueue);
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            WriteError(ToErrorRecord(ex, source));
            return;
        }

        using (comparer)
        {
            var approved = Approve(comparer);
            if (approved.Count == 0)
            {
                return;
            }
            try
            {
                int steps = approved.Count + 1;
                var baseline = Step(comparer, 0, steps, null, p => comparer.MeasureSource(text, p, _stop.Token));
                if (baseline is null)
                {
                    return;  // without the source's measurement there is nothing to compare with
                }
                WriteObject(baseline);
                for (int i = 0; i < approved.Count; i++)
                {
                    var candidate = approved[i];
                    var row = Step(comparer, i + 1, steps, candidate.Type.Name, p => comparer.Compare(candidate, p, _stop.Token));
                    if (row is not null)
                    {
                        WriteObject(row);
                    }
                }
            }
            finally
            {
                if (!_stop.IsCancellationRequested)
                {
                    WriteProgress(new ProgressRecord(1, $"Compare-Quantization {comparer.Source.FileName}", "Done") { RecordType = ProgressRecordType.Completed });
                }
            }
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    // Reports what cannot be compared and the fallbacks, then asks about each type before any work starts.
    private List<QuantizationCandidate> Approve(QuantizationComparer comparer)
    {
        var approved = new List<QuantizationCandidate>();
        string chunks = MyInvocation.BoundParameters.ContainsKey(nameof(Chunks)) ? $"{Chunks} chunk(s)" : "every chunk";
        foreach (var candidate in comparer.Candidates)
        {
            if (candidate.Plan is not { } plan)
            {
                WriteError(ToErrorRecord(candidate.Error!, candidate.Type.Name));
                continue;
            }
            foreach (string summary in candidate.FallbackSummaries)
            {
                WriteWarning(summary);
            }
            foreach (string note in plan.Notes)
            {
                WriteVerbose($"{candidate.Type.Name}: {note}");
            }
            string action = $"Quantize to {candidate.Type.Name} ({FormatSize(plan.PredictedFileSize)}) and measure it against the source on {chunks} of {Context} tokens" +
                            (KeepFiles ? "" : ", then delete it");
            if (ShouldProcess(candidate.OutputPath, action))
            {
                approved.Add(candidate);
            }
        }
        return approved;
    }

    // Runs one step on a worker while this, the pipeline thread, shows its progress and warnings. Errors of the step
    // are written here and give null; stopping ends the pipeline.
    private QuantizationComparison? Step(QuantizationComparer comparer, int step, int steps, string? type,
        Func<IProgress<QuantizationComparisonProgress>, QuantizationComparison> work)
    {
        var queue = new BlockingCollection<QuantizationComparisonProgress>();
        var task = Task.Run(() =>
        {
            try
            {
                return work(new QueueProgress(queue));
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        var parent = new ProgressRecord(1, $"Compare-Quantization {comparer.Source.FileName}",
            type is null ? $"Measuring the source ({comparer.SourceType})" : $"{type} ({step} of {steps - 1})");
        var child = new ProgressRecord(2, "Starting", "...") { ParentActivityId = 1 };
        var clock = Stopwatch.StartNew();
        long lastShown = -1000;
        while (!queue.IsCompleted)
        {
            bool got = queue.TryTake(out var p, 100);
            FlushWarnings();
            if (!got || clock.ElapsedMilliseconds - lastShown < 250)
            {
                continue;
            }
            lastShown = clock.ElapsedMilliseconds;
            int within = p.Stage switch
            {
                QuantizationComparisonStage.Quantizing => p.PercentComplete / 2,
                QuantizationComparisonStage.Measuring => 50 + p.PercentComplete / 2,
                _ => p.PercentComplete,
            };
            parent.PercentComplete = Math.Min(100, (step * 100 + within) / steps);
            child.Activity = p.Stage switch
            {
                QuantizationComparisonStage.Quantizing => $"Quantizing to {p.Type}",
                QuantizationComparisonStage.Measuring => $"Measuring {p.Type} against the source",
                _ => $"Measuring the source ({p.Type})",
            };
            child.StatusDescription = p.Status;
            child.PercentComplete = Math.Clamp(p.PercentComplete, 0, 100);
            child.SecondsRemaining = p.EstimatedRemaining is { } left ? (int)Math.Ceiling(left.TotalSeconds) : -1;
            WriteProgress(parent);
            WriteProgress(child);
        }
        FlushWarnings();
        child.RecordType = ProgressRecordType.Completed;
        WriteProgress(child);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            WriteError(ErrorCatalog.Record(ex, (object?)type ?? comparer.SourcePath));
            return null;
        }
    }

    private void FlushWarnings()
    {
        while (_warnings.TryDequeue(out string? warning))
        {
            WriteWarning(warning);
        }
    }

    private static ErrorRecord ToErrorRecord(Exception ex, object target) => ex is OutputExistsException exists
        ? new ErrorRecord(ex, "OutputExists", ErrorCategory.ResourceExists, exists.Path)
        : ErrorCatalog.Record(ex, target);

    private static bool IsExpected(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or NotImplementedException
            or ArgumentException or InvalidOperationException or GgufFormatException or OperationCanceledException;

    private bool TryReadText(out byte[] text)
    {
        _text ??= ParameterSetName == TextSet ? Encoding.UTF8.GetBytes(Text) : FileSystemPathResolver.ReadInputFile(this, TextPath);
        text = _text ?? [];
        return _text is not null;
    }

    private static string FormatSize(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F2} MiB"
        : $"{bytes / 1024.0:F2} KiB";

    /// <summary>Hands progress reports to the pipeline thread, which alone may write them.</summary>
    private sealed class QueueProgress(BlockingCollection<QuantizationComparisonProgress> queue) : IProgress<QuantizationComparisonProgress>
    {
        public void Report(QuantizationComparisonProgress value)
        {
            if (!queue.IsAddingCompleted)
            {
                queue.Add(value);
            }
        }
    }
}
