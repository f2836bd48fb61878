using System.Management.Automation;
using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Measure-Perplexity: llama-perplexity's measurement of a model on a text, with progress, Ctrl+C that keeps what was
/// measured, and the KL divergence against a reference model in the same pass.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "Perplexity", DefaultParameterSetName = TextPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PerplexityResult))]
public sealed class MeasurePerplexityCommand : LongRunningCommand
{
    private const string TextPathSet = "TextPath";
    private const string TextSet = "Text";
    private const string ReferenceLogitsSet = "ReferenceLogits";

    private readonly CalibrationText _text = new();

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
        if (Interrupted)
        {
            return;
        }
        string model = FileSystemPathResolver.ResolveOutput(this, Path);
        string? reference = FileSystemPathResolver.ResolveOptionalOutput(this, ReferenceModel);
        string? referenceLogits = ParameterSetName == ReferenceLogitsSet ? FileSystemPathResolver.ResolveOutput(this, ReferenceLogits) : null;
        string? save = FileSystemPathResolver.ResolveOptionalOutput(this, SaveLogits);
        if (!FileSystemPathResolver.CheckExistingFile(this, model) || !_text.TryRead(this, ParameterSetName == TextSet ? Text : null, ParameterSetName == TextPathSet ? TextPath : null, out byte[] text)
            || (reference is not null && !FileSystemPathResolver.CheckExistingFile(this, reference))
            || (referenceLogits is not null && !FileSystemPathResolver.CheckExistingFile(this, referenceLogits)))
        {
            return;
        }
        var options = new PerplexityOptions
        {
            Context = Context,
            Chunks = IsBound(nameof(Chunks)) ? Chunks : null,
            BatchSize = BatchSize,
            Threads = Threads,
        };
        ReportCoreErrors(model, () =>
        {
            if (save is not null)
            {
                OutputFile.Check(save, new[] { model, reference }.OfType<string>(), Force);
                if (!ShouldProcess(save, "Write the model's log-probabilities (llama.cpp --kl-divergence-base format)"))
                {
                    return;
                }
            }
            var result = RunInterruptible((channel, cancel) => Measure(channel, cancel, model, text, options, reference, save, referenceLogits),
                PerplexityProgressText.StoppedBeforeFirstChunk);
            if (result is null)
            {
                return;
            }
            if (!result.Completed)
            {
                WriteWarning(PerplexityProgressText.Stopped(result));
            }
            WriteObject(result);
        });
    }

    // On the worker thread.
    private static PerplexityResult Measure(WorkerChannel channel, CancellationToken cancel, string modelPath, byte[] text, PerplexityOptions options,
        string? referencePath, string? save, string? referenceLogits)
    {
        var progress = ChunkProgressBar.ForPerplexity(channel, modelPath);
        using var model = TransformerModel.Open(modelPath);
        using var reference = referencePath is null ? null : TransformerModel.Open(referencePath);
        var evaluator = new PerplexityEvaluator(model, options)
        {
            ReferenceModel = reference,
            SaveLogitsPath = save,
            ReferenceLogitsPath = referenceLogits,
            Warning = channel.Warning,
        };
        return evaluator.Measure(text, progress, cancel);
    }
}
