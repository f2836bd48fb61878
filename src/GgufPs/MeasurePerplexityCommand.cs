using System.Collections.Concurrent;
using System.Management.Automation;
using System.Text;
using GgufPs.Evaluation;
using GgufPs.Inference;

namespace GgufPs.Commands;

/// <summary>
/// Measure-Perplexity: llama-perplexity's measurement of a model on a text, with progress, Ctrl+C that keeps what was
/// measured, and the KL divergence against a reference model in the same pass.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "Perplexity", DefaultParameterSetName = TextPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PerplexityResult))]
public sealed class MeasurePerplexityCommand : PSCmdlet
{
    private const string TextPathSet = "TextPath";
    private const string TextSet = "Text";
    private const string ReferenceLogitsSet = "ReferenceLogits";

    private readonly CancellationTokenSource _stop = new();
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

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateNotNullOrEmpty]
    public string? ReferenceModel { get; set; }

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateNotNullOrEmpty]
    public string? SaveLogits { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ReferenceLogitsSet)]
    [ValidateNotNullOrEmpty]
    public string ReferenceLogits { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string model = FileSystemPathResolver.ResolveOutput(this, Path);
        if (!FileSystemPathResolver.CheckExistingFile(this, model))
        {
            return;
        }
        if (!TryReadText(out byte[] text))
        {
            return;
        }
        string? reference = ReferenceModel is null ? null : FileSystemPathResolver.ResolveOutput(this, ReferenceModel);
        string? referenceLogits = ParameterSetName == ReferenceLogitsSet ? FileSystemPathResolver.ResolveOutput(this, ReferenceLogits) : null;
        if ((reference is not null && !FileSystemPathResolver.CheckExistingFile(this, reference)) || (referenceLogits is not null && !FileSystemPathResolver.CheckExistingFile(this, referenceLogits)))
        {
            return;
        }
        string? save = SaveLogits is null ? null : FileSystemPathResolver.ResolveOutput(this, SaveLogits);
        if (save is not null)
        {
            if (File.Exists(save) && !Force)
            {
                WriteError(new ErrorRecord(new IOException($"'{save}' already exists; use -Force to replace it."),
                    "OutputExists", ErrorCategory.ResourceExists, save));
                return;
            }
            if (!ShouldProcess(save, "Write the model's log-probabilities (llama.cpp --kl-divergence-base format)"))
            {
                return;
            }
        }

        try
        {
            Run(model, text, reference, save, referenceLogits);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException
            or NotImplementedException or ArgumentException or OperationCanceledException or InvalidOperationException)
        {
            WriteError(ErrorRecordFactory.FromException(ex, model));
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void Run(string modelPath, byte[] text, string? referencePath, string? save, string? referenceLogits)
    {
        using var model = TransformerModel.Open(modelPath);
        using var reference = referencePath is null ? null : TransformerModel.Open(referencePath);
        var messages = new BlockingCollection<object>();
        var evaluator = new PerplexityEvaluator(model, new PerplexityOptions
        {
            Context = Context,
            Chunks = MyInvocation.BoundParameters.ContainsKey(nameof(Chunks)) ? Chunks : null,
            BatchSize = BatchSize,
            Threads = Threads,
        })
        {
            ReferenceModel = reference,
            SaveLogitsPath = save,
            ReferenceLogitsPath = referenceLogits,
            Warning = w => messages.Add(new WarningMessage(w)),
        };

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var progress = new Progress(messages);
        var work = Task.Run(() =>
        {
            try
            {
                return evaluator.Measure(text, progress, cancel.Token);
            }
            finally
            {
                messages.CompleteAdding();
            }
        });

        bool interrupted = false;
        using (var keyboard = ControlCWatcher.TryStart())
        {
            var activity = $"Measuring the perplexity of {System.IO.Path.GetFileName(modelPath)}";
            WriteProgress(new ProgressRecord(1, activity, "Tokenizing and evaluating the first chunk..."));
            while (!messages.IsCompleted)
            {
                if (messages.TryTake(out object? message, 100))
                {
                    switch (message)
                    {
                        case PerplexityProgress p:
                            WriteProgress(new ProgressRecord(1, activity, FormattableString.Invariant(
                                $"Chunk {p.ChunksDone} of {p.Chunks}: perplexity {p.RunningPerplexity:F4}"))
                            {
                                PercentComplete = p.PercentComplete,
                                SecondsRemaining = (int)Math.Ceiling(p.EstimatedRemaining.TotalSeconds),
                            });
                            WriteVerbose(FormattableString.Invariant($"[{p.ChunksDone}]{p.RunningPerplexity:F4}"));
                            break;
                        case WarningMessage w:
                            WriteWarning(w.Text);
                            break;
                    }
                }
                if (keyboard?.ControlCPressed == true && !cancel.IsCancellationRequested)
                {
                    interrupted = true;
                    cancel.Cancel();
                }
            }
            WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }

        PerplexityResult result;
        try
        {
            result = work.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (interrupted)
        {
            WriteWarning("Stopped before the first chunk was finished; there is no result.");
            return;
        }
        if (!result.Completed)
        {
            WriteWarning($"Stopped after {result.Chunks} chunk(s); the result covers those only.");
        }
        WriteObject(result);
    }

    private bool TryReadText(out byte[] text)
    {
        _text ??= ParameterSetName switch
        {
            TextSet => Encoding.UTF8.GetBytes(Text),
            TextPathSet => FileSystemPathResolver.ReadInputFile(this, TextPath),
            _ => [],
        };
        text = _text ?? [];
        return _text is not null;
    }

    private sealed record WarningMessage(string Text);

    /// <summary>Hands progress reports to the pipeline thread, which alone may write them.</summary>
    private sealed class Progress(BlockingCollection<object> messages) : IProgress<PerplexityProgress>
    {
        public void Report(PerplexityProgress value)
        {
            if (!messages.IsAddingCompleted)
            {
                messages.Add(value);
            }
        }
    }
}
