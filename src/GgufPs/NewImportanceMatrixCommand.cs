using System.Management.Automation;
using GgufPs.Evaluation;
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
        if (ImportanceMatrixInputCheck.Problem(Path is not null, ParameterSetName == TextSet || TextPath is not null, Merge.Length > 0, OutputPath is not null, MyInvocation.BoundParameters.Keys) is { } problem)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("MissingInput", problem, null));
        }
        ReportCoreErrors(Path ?? OutputPath, Path is null ? MergeOnly : Compute);
    }

    private void MergeOnly()
    {
        string outputPath = FileSystemPathResolver.ResolveOutput(this, OutputPath!);
        var (output, format) = ImportanceMatrixFiles.Output(outputPath, null, FormatGiven);
        if (ImportanceMatrixParameter.LoadMerge(this, Merge, null) is not { } inputs)
        {
            return;
        }
        OutputFile.Check(output, inputs.Select(m => m.Path), Force);
        var matrix = ImportanceMatrixAccumulators.Merge(inputs, IsBound(nameof(Context)) ? Context : null, Context);
        if (ShouldProcess(output, ImportanceMatrixMessages.MergeAction(inputs.Count, matrix.Count, format)))
        {
            matrix.Save(output, format, Force);
            WriteObject(ImportanceMatrixFiles.Describe(output, format, matrix, null, null, Statistics));
        }
    }

    private void Compute()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path!) is not { } model || !_text.TryRead(this, ParameterSetName == TextSet ? Text : null, TextPath, out byte[] text))
        {
            return;
        }
        var (output, format) = ImportanceMatrixFiles.Output(FileSystemPathResolver.ResolveOptionalOutput(this, OutputPath), model, FormatGiven);
        if (ImportanceMatrixParameter.LoadMerge(this, Merge, model) is not { } merged)
        {
            return;
        }
        OutputFile.Check(output, [model, .. merged.Select(m => m.Path)], Force);
        var options = new ImportanceMatrixOptions
        {
            Context = Context, Chunks = IsBound(nameof(Chunks)) ? Chunks : null, SkipChunks = SkipChunks, BatchSize = BatchSize, Threads = Threads,
            ComputePerplexity = !NoPerplexity, ParseSpecial = ParseSpecial,
        };
        if (!ShouldProcess(output, ImportanceMatrixMessages.ComputeAction(model, options.Chunks, Context, format)))
        {
            return;
        }
        var job = ImportanceMatrixJob.Create(model, output, format, merged, options, ProcessOutput, ParameterSetName == TextPathSet ? TextPath : null);
        PerplexityResult? result;
        try
        {
            result = RunInterruptible((channel, cancel) => job.Run(text, channel.Warning, ChunkProgressBar.ForImportanceMatrix(channel, model), cancel));
        }
        catch (PipelineStoppedException) when (job.KeepsPartial(Force))
        {
            job.SavePartial();
            throw;
        }
        if (job.Conclude(result, Force, Statistics, WriteWarning) is { } info)
        {
            WriteObject(info);
        }
    }

    private ImportanceMatrixFormat? FormatGiven => IsBound(nameof(Format)) ? Format : null;
}
