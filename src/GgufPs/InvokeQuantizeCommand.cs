using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Invoke-Quantize: llama-quantize in PowerShell. Quantizes GGUF models to one or more types, byte-identical to
/// llama.cpp, streaming tensor by tensor, and returns the new files as GgufModelInfo objects.
/// <para>
/// One parameter set takes both a path and a piped ImportanceMatrixInfo. With two sets PowerShell would bind a piped
/// matrix by its Path property to the default (path) set, and a mandatory InputObject in its own set would be
/// prompted for, which no one can type; so neither is mandatory, and a missing model is an error naming -Path.
/// </para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Quantize", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class InvokeQuantizeCommand : LongRunningCommand
{
    private const string PathSet = "Path";

    private readonly PipedImportanceMatrices _piped = new();
    private List<QuantizationPreset> _presets = [];
    private ImportanceMatrix? _importance;
    private QuantizationSettings _settings = new();

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>An importance matrix from New-ImportanceMatrix: its model is quantized with it (a piped one also binds -Path, to the matrix's file, which is then ignored).</summary>
    [Parameter(ValueFromPipeline = true, ParameterSetName = PathSet)]
    public ImportanceMatrixInfo? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(QuantizationTypeCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Type { get; set; } = [];

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateRange(0, 1024)]
    public int Threads { get; set; }

    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? ImportanceMatrix { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] IncludeWeights { get; set; } = [];

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ExcludeWeights { get; set; } = [];

    [Parameter]
    [ArgumentCompleter(typeof(GgmlTypeCompleter))]
    [ValidateNotNullOrEmpty]
    public string? OutputTensorType { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(GgmlTypeCompleter))]
    [ValidateNotNullOrEmpty]
    public string? TokenEmbeddingType { get; set; }

    [Parameter]
    public IDictionary? TensorType { get; set; }

    [Parameter]
    public IDictionary? OverrideMetadata { get; set; }

    [Parameter]
    public SwitchParameter Pure { get; set; }

    [Parameter]
    public SwitchParameter LeaveOutputTensor { get; set; }

    [Parameter]
    public SwitchParameter AllowRequantize { get; set; }

    /// <summary>--keep-split: a split input gives a split output with the same parts.</summary>
    [Parameter]
    public SwitchParameter KeepSplit { get; set; }

    protected override void BeginProcessing()
    {
        _presets = QuantizationTypeParameter.Parse(this, Type).DistinctBy(p => p.Name).ToList();
        _settings = ThrowCoreErrors(null, () => QuantizationSettings.Parse(OutputTensorType, TokenEmbeddingType,
            PlainValueConverter.ToPlainEntries(TensorType, nameof(TensorType)), TensorType is OrderedDictionary,
            PlainValueConverter.ToPlainEntries(OverrideMetadata, nameof(OverrideMetadata)), IncludeWeights, ExcludeWeights)
            with { Pure = Pure, LeaveOutputTensor = LeaveOutputTensor, AllowRequantize = AllowRequantize, Threads = Threads });
        _importance = ImportanceMatrixParameter.Load(this, ImportanceMatrix, describe: true);
    }

    protected override void ProcessRecord()
    {
        var importance = _importance;
        string[] inputs = Path;
        if (InputObject is null && Path.Length == 0)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("MissingInput", "Give the model to quantize with -Path (or from the pipeline: files, Get-GgufInfo, or New-ImportanceMatrix's result).", null));
        }
        if (InputObject is { } piped)
        {
            if (!_piped.TryRead(this, piped, _importance is not null, out importance))
            {
                return;
            }
            inputs = [piped.Model!];
        }
        if (_settings.ChoosesWeights && importance is null)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("ImportanceMatrixNeeded", "-IncludeWeights and -ExcludeWeights choose which tensors use the importance matrix; give one with -ImportanceMatrix.", null));
        }
        foreach (string input in FileSystemPathResolver.ResolveExistingFiles(this, inputs, literal: InputObject is not null).ToList())
        {
            foreach (var preset in _presets)
            {
                ReportCoreErrors(input, () => Quantize(input, OutputFor(input, preset), preset, importance));
            }
        }
    }

    private void Quantize(string input, string output, QuantizationPreset preset, ImportanceMatrix? importance)
    {
        var job = QuantizationJob.Create(input, output, _settings, preset, importance, KeepSplit, WriteWarning);
        job.OutputPaths.ToList().ForEach(path => OutputFile.Check(path, [input], Force));
        job.Plan.Warnings.ToList().ForEach(WriteWarning);
        job.Plan.Notes.ToList().ForEach(WriteVerbose);
        string action = QuantizationPlanDescription.Action(job.Plan, job.Split);
        if (IsWhatIf())
        {
            ShouldProcess($"{input} -> {output}", action);
            foreach (var (target, detail) in QuantizationPlanDescription.Details(job.Plan, job.Split))
            {
                ShouldProcess(target, detail);
            }
        }
        else if (ShouldProcess($"{input} -> {output}", action))
        {
            WriteObject(RunWorker((channel, cancel) =>
            {
                var info = job.Run(Force, Threads, QuantizationProgressBars.For(channel, job), cancel);
                channel.Verbose(QuantizationProgressText.Wrote(job.OutputPath, info.FileSize, channel.Elapsed));
                return info;
            }));
        }
    }

    private string OutputFor(string input, QuantizationPreset preset) =>
        QuantizedFileNaming.OutputPathFor(input, preset.Name, FileSystemPathResolver.ResolveOptionalOutput(this, OutputPath), _presets.Count);
}
