using System.Management.Automation;
using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// New-ImportanceMatrix: llama-imatrix. Runs a model over calibration text and writes the per-column mean squared
/// activations of its weights (GGUF or legacy .dat) for Invoke-Quantize -ImportanceMatrix; merges existing matrices.
/// Without a model (-Path) it only merges (-Merge, -OutputPath); llama-imatrix decides the same way by the presence
/// of -f. The model and the text are not mandatory parameters, so a missing one is an error that says what to give
/// rather than a prompt.
/// </summary>
[Cmdlet(VerbsCommon.New, "ImportanceMatrix", DefaultParameterSetName = TextPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ImportanceMatrixInfo))]
public sealed class NewImportanceMatrixCommand : LongRunningCommand
{
    private const string TextPathSet = "TextPath";
    private const string TextSet = "Text";

    private static readonly string[] ComputeOnly = [nameof(Chunks), nameof(SkipChunks), nameof(BatchSize), nameof(Threads), nameof(ProcessOutput), nameof(ParseSpecial), nameof(NoPerplexity)];

    private readonly CalibrationText _text = new();

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Position = 1, ParameterSetName = TextPathSet)]
    [ValidateNotNullOrEmpty]
    public string? TextPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Text { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Merge { get; set; } = [];

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public ImportanceMatrixFormat Format { get; set; }

    [Parameter]
    [ValidateRange(4, 1 << 20)]
    public int Context { get; set; } = 512;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Chunks { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int SkipChunks { get; set; }

    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; } = 512;

    [Parameter]
    [ValidateRange(1, 1024)]
    public int Threads { get; set; } = Environment.ProcessorCount;

    [Parameter]
    public SwitchParameter ProcessOutput { get; set; }

    [Parameter]
    public SwitchParameter ParseSpecial { get; set; }

    [Parameter]
    public SwitchParameter NoPerplexity { get; set; }

    [Parameter]
    public SwitchParameter Statistics { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (Interrupted)
        {
            return;
        }
        CheckArguments();
        try
        {
            if (Path is null)
            {
                MergeOnly(FileSystemPathResolver.ResolveOutput(this, OutputPath!));
            }
            else
            {
                Compute(FileSystemPathResolver.ResolveOutput(this, Path));
            }
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, Path ?? OutputPath);
        }
    }

    private void CheckArguments()
    {
        bool text = ParameterSetName == TextSet || TextPath is not null;
        string? problem = ImportanceMatrixInputCheck.Problem(Path is not null, text, Merge.Length > 0, OutputPath is not null);
        if (problem is null && Path is null && ComputeOnly.FirstOrDefault(MyInvocation.BoundParameters.ContainsKey) is { } name)
        {
            problem = ImportanceMatrixInputCheck.MergeDoesNotTake(name);
        }
        if (problem is not null)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("MissingInput", problem, null));
        }
    }

    private void MergeOnly(string output)
    {
        var format = FormatFor(output);
        if (LoadMerged(null) is not { } inputs)
        {
            return;
        }
        OutputFile.Check(output, inputs.Select(m => m.Path), Force);
        var matrix = ImportanceMatrixAccumulators.Merge(inputs, Bound(nameof(Context)) ? Context : null, Context);
        if (ShouldProcess(output, ImportanceMatrixMessages.MergeAction(inputs.Count, matrix.Count, format)))
        {
            matrix.Save(output, format, Force);
            WriteObject(ImportanceMatrixFiles.Describe(output, format, matrix, null, null, Statistics));
        }
    }

    private void Compute(string model)
    {
        if (!FileSystemPathResolver.CheckExistingFile(this, model) || !_text.TryRead(this, ParameterSetName == TextSet ? Text : null, TextPath, out byte[] text))
        {
            return;
        }
        string output = OutputPath is null ? ImportanceMatrixFiles.DefaultPath(model, FormatFor(null)) : FileSystemPathResolver.ResolveOutput(this, OutputPath);
        var format = FormatFor(output);
        if (LoadMerged(model) is not { } merged)
        {
            return;
        }
        OutputFile.Check(output, [model, .. merged.Select(m => m.Path)], Force);
        int? chunks = Bound(nameof(Chunks)) ? Chunks : null;
        if (!ShouldProcess(output, ImportanceMatrixMessages.ComputeAction(model, chunks, Context, format)))
        {
            return;
        }
        var matrix = ImportanceMatrixAccumulators.ForComputing(model, merged, Context, Threads, ProcessOutput, ParameterSetName == TextPathSet ? TextPath : null);
        var options = new ImportanceMatrixOptions
        {
            Context = Context, Chunks = chunks, SkipChunks = SkipChunks, BatchSize = BatchSize, Threads = Threads,
            ComputePerplexity = !NoPerplexity, ParseSpecial = ParseSpecial,
        };
        PerplexityResult? result = null;
        try
        {
            result = RunWorker((channel, cancel) => Run(channel, cancel, model, options, text, matrix), interruptible: true);
        }
        catch (OperationCanceledException) when (Interrupted)
        {
        }
        catch (PipelineStoppedException) when (ImportanceMatrixStopPolicy.KeepsPartial(Force, matrix.ChunkCount))
        {
            matrix.Save(output, format, overwrite: true);
            throw;
        }
        var (info, warning) = ImportanceMatrixStopPolicy.Conclude(result, matrix, output, format, Force, model, Statistics);
        if (warning is not null)
        {
            WriteWarning(warning);
        }
        if (info is not null)
        {
            WriteObject(info);
        }
    }

    // On the worker thread.
    private static PerplexityResult Run(WorkerChannel channel, CancellationToken cancel, string modelPath, ImportanceMatrixOptions options, byte[] text, ImportanceMatrixAccumulator matrix)
    {
        string activity = ImportanceMatrixMessages.Activity(modelPath);
        channel.Progress(new WorkerProgress(1, activity, ImportanceMatrixMessages.FirstChunkStatus));
        using var model = TransformerModel.Open(modelPath);
        var computer = new ImportanceMatrixComputer(model, options) { Warning = channel.Warning };
        return computer.Compute(text, matrix, channel.ProgressOf<PerplexityProgress>(p =>
        {
            if (ImportanceMatrixMessages.RunningPerplexity(p) is { } line)
            {
                channel.Verbose(line);
            }
            return new WorkerProgress(1, activity, ImportanceMatrixMessages.ChunkStatus(p)) { PercentComplete = p.PercentComplete, Remaining = p.EstimatedRemaining };
        }), cancel);
    }

    private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    private ImportanceMatrixFormat FormatFor(string? output) =>
        Bound(nameof(Format)) ? Format : output is null ? ImportanceMatrixFormat.Gguf : ImportanceMatrixFiles.FormatOf(output);

    // The matrices of -Merge; null when one is missing or unreadable (reported), as merging the rest would silently drop it.
    private List<ImportanceMatrix>? LoadMerged(string? model)
    {
        if (Merge.Length == 0)
        {
            return [];
        }
        var result = new List<ImportanceMatrix>();
        foreach (string input in FileSystemPathResolver.ResolveExistingFiles(this, Merge, literal: false))
        {
            if (model is not null && FileSystemPath.AreSame(input, model))
            {
                WriteError(ErrorCatalog.InvalidArgument("MergeIsModel", $"'{input}' is the model, not an importance matrix.", input));
                return null;
            }
            WriteVerbose($"Reading importance matrix '{input}'.");
            try
            {
                result.Add(ImportanceMatrix.Load(input));
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                WriteCoreError(ex, input);
                return null;
            }
        }
        return result.Count == 0 ? null : result;
    }
}
