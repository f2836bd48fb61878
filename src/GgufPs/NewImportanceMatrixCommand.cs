using System.Management.Automation;
using System.Text;
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

    private byte[]? _text;

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

    // What the parameter sets cannot say: a model needs a text, and merging alone needs inputs and an output.
    private void CheckArguments()
    {
        bool text = ParameterSetName == TextSet || TextPath is not null;
        string? problem = Path is null && (text || Merge.Length == 0)
            ? "Give the model with -Path (or from the pipeline) and the calibration text with -TextPath or -Text; or, to merge importance matrices, -Merge and -OutputPath."
            : Path is null && OutputPath is null ? "Merging importance matrices without a model needs -OutputPath, the file to write."
            : Path is not null && !text ? "Give the calibration text with -TextPath (a file) or -Text (a string)."
            : null;
        if (problem is null && Path is null && ComputeOnly.FirstOrDefault(MyInvocation.BoundParameters.ContainsKey) is { } name)
        {
            problem = $"-{name} applies to computing from a model and a text; merging alone takes -Merge, -OutputPath, -Format, -Context and -Statistics.";
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
        // Without a text the chunk size only turns counts into chunks: take the first GGUF input's, else -Context.
        int chunkSize = MyInvocation.BoundParameters.ContainsKey(nameof(Context)) ? Context : inputs.Select(m => m.ChunkSize).FirstOrDefault(s => s > 0, Context);
        var matrix = new ImportanceMatrixAccumulator(chunkSize);
        inputs.ForEach(m => matrix.Add(m));
        if (ShouldProcess(output, $"Write the merge of {inputs.Count} importance matrices ({matrix.Count} entries, {format})"))
        {
            matrix.Save(output, format, Force);
            WriteObject(ImportanceMatrixFiles.Describe(output, format, matrix, null, null, Statistics));
        }
    }

    private void Compute(string model)
    {
        if (!FileSystemPathResolver.CheckExistingFile(this, model) || !TryReadText(out byte[] text))
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
        string chunks = MyInvocation.BoundParameters.ContainsKey(nameof(Chunks)) ? $"{Chunks} chunk(s)" : "all chunks";
        if (!ShouldProcess(output, $"Compute the importance matrix of {System.IO.Path.GetFileName(model)} over {chunks} of {Context} tokens ({format})"))
        {
            return;
        }
        var matrix = Accumulator(model, merged);
        var options = new ImportanceMatrixOptions
        {
            Context = Context,
            Chunks = MyInvocation.BoundParameters.ContainsKey(nameof(Chunks)) ? Chunks : null,
            SkipChunks = SkipChunks,
            BatchSize = BatchSize,
            Threads = Threads,
            ComputePerplexity = !NoPerplexity,
            ParseSpecial = ParseSpecial,
        };
        PerplexityResult? result = null;
        try
        {
            result = RunWorker((channel, cancel) => Run(channel, cancel, model, options, text, matrix), interruptible: true);
        }
        catch (OperationCanceledException) when (Interrupted)
        {
        }
        catch (PipelineStoppedException)
        {
            // With -Force a stop keeps what was computed, as Ctrl+C does; the finished chunks are all in the matrix.
            if (Force && matrix.ChunkCount > 0)
            {
                matrix.Save(output, format, overwrite: true);
            }
            throw;
        }
        bool keep = result is { Completed: true } || (Force && matrix.ChunkCount > 0);
        if (keep)
        {
            matrix.Save(output, format, Force);
        }
        if (result is not { Completed: true })
        {
            string when = result is null ? "before the first chunk was finished" : $"after {result.Chunks} chunk(s)";
            WriteWarning(keep ? $"Stopped {when}; '{output}' holds what was computed until then."
                : $"Stopped {when}; nothing was written (with -Force, what was computed until a stop is saved).");
        }
        if (keep)
        {
            WriteObject(ImportanceMatrixFiles.Describe(output, format, matrix, model, result, Statistics));
        }
    }

    // On the worker thread.
    private static PerplexityResult Run(WorkerChannel channel, CancellationToken cancel, string modelPath, ImportanceMatrixOptions options, byte[] text, ImportanceMatrixAccumulator matrix)
    {
        string activity = $"Computing the importance matrix of {System.IO.Path.GetFileName(modelPath)}";
        channel.Progress(new WorkerProgress(1, activity, "Tokenizing and evaluating the first chunk..."));
        using var model = TransformerModel.Open(modelPath);
        var computer = new ImportanceMatrixComputer(model, options) { Warning = channel.Warning };
        return computer.Compute(text, matrix, channel.ProgressOf<PerplexityProgress>(p =>
        {
            bool measured = !double.IsNaN(p.RunningPerplexity);
            if (measured)
            {
                channel.Verbose(FormattableString.Invariant($"[{p.ChunksDone}]{p.RunningPerplexity:F4}"));
            }
            string perplexity = measured ? FormattableString.Invariant($": perplexity {p.RunningPerplexity:F4}") : "";
            return new WorkerProgress(1, activity, $"Chunk {p.ChunksDone} of {p.Chunks}{perplexity}") { PercentComplete = p.PercentComplete, Remaining = p.EstimatedRemaining };
        }), cancel);
    }

    private ImportanceMatrixAccumulator Accumulator(string model, List<ImportanceMatrix> merged)
    {
        var matrix = new ImportanceMatrixAccumulator(Context, Threads) { ProcessOutput = ProcessOutput };
        if (merged.Count > 0)
        {
            using var file = GgufFile.Open(model);
            merged.ForEach(m => matrix.Add(m, file));
        }
        if (ParameterSetName == TextPathSet)
        {
            matrix.AddDataset(TextPath!);
        }
        return matrix;
    }

    private ImportanceMatrixFormat FormatFor(string? output) =>
        MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format
        : output is null ? ImportanceMatrixFormat.Gguf
        : ImportanceMatrixFiles.FormatOf(output);

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

    private bool TryReadText(out byte[] text)
    {
        _text ??= ParameterSetName == TextSet ? Encoding.UTF8.GetBytes(Text) : FileSystemPathResolver.ReadInputFile(this, TextPath!);
        text = _text ?? [];
        return _text is not null;
    }
}
