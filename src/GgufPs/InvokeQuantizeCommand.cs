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

    private readonly Dictionary<string, ImportanceMatrix> _pipedImportance = new(FileSystemPath.Comparer);
    private List<QuantizationPreset> _presets = [];
    private ImportanceMatrix? _importance;
    private GgmlType? _outputType;
    private GgmlType? _tokenType;
    private List<KeyValuePair<string, GgmlType>> _tensorTypes = [];
    private List<KeyValuePair<string, object>> _metadata = [];

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
        try
        {
            _presets = Type.Select(QuantizationTypeCatalog.ParsePreset).DistinctBy(p => p.Name).ToList();
            if (IncludeWeights.Length > 0 && ExcludeWeights.Length > 0)
            {
                throw new ArgumentException("Use -IncludeWeights or -ExcludeWeights, not both.");
            }
            _outputType = OutputTensorType is null ? null : QuantizationOverrides.ParseTensorType(OutputTensorType, "-" + nameof(OutputTensorType));
            _tokenType = TokenEmbeddingType is null ? null : QuantizationOverrides.ParseTensorType(TokenEmbeddingType, "-" + nameof(TokenEmbeddingType));
            _tensorTypes = QuantizationOverrides.ParseTensorTypes(PlainValueConverter.ToPlainEntries(TensorType, nameof(TensorType)), TensorType is OrderedDictionary, "-" + nameof(TensorType));
            _metadata = QuantizationOverrides.ParseMetadata(PlainValueConverter.ToPlainEntries(OverrideMetadata, nameof(OverrideMetadata)), "-" + nameof(OverrideMetadata));
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            ThrowCoreError(ex, null);
        }
        if (ImportanceMatrix is not null)
        {
            string path = FileSystemPathResolver.ResolveOutput(this, ImportanceMatrix);
            try
            {
                _importance = LoadImportance(path, ImportanceMatrix);
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                ThrowCoreError(ex, path);
            }
        }
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
            if (_importance is not null)
            {
                ThrowTerminatingError(ErrorCatalog.InvalidArgument("TwoImportanceMatrices", $"The importance matrix '{piped.Path}' came from the pipeline; -ImportanceMatrix gives another. Use one.", piped));
            }
            if (piped.Model is null)
            {
                WriteError(ErrorCatalog.InvalidArgument("NoModel", $"The importance matrix '{piped.Path}' does not say which model it was computed from; give the model with -Path and the matrix with -ImportanceMatrix.", piped));
                return;
            }
            try
            {
                importance = _pipedImportance.TryGetValue(piped.Path, out var cached) ? cached : _pipedImportance[piped.Path] = LoadImportance(piped.Path, null);
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                WriteCoreError(ex, piped.Path);
                return;
            }
            inputs = [piped.Model];
        }
        if ((IncludeWeights.Length > 0 || ExcludeWeights.Length > 0) && importance is null)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("ImportanceMatrixNeeded", "-IncludeWeights and -ExcludeWeights choose which tensors use the importance matrix; give one with -ImportanceMatrix.", null));
        }
        foreach (string input in FileSystemPathResolver.ResolveExistingFiles(this, inputs, literal: InputObject is not null).ToList())
        {
            foreach (var preset in _presets)
            {
                try
                {
                    Quantize(input, OutputFor(input, preset), preset, importance);
                }
                catch (Exception ex) when (ErrorCatalog.Covers(ex))
                {
                    WriteCoreError(ex, input);
                }
            }
        }
    }

    private void Quantize(string input, string output, QuantizationPreset preset, ImportanceMatrix? importance)
    {
        QuantizationOptions options;
        QuantizationPlan plan;
        KeepSplitPlan? split = null;
        using (var file = GgufFile.Open(input))
        {
            if (KeepSplit && !file.IsSplit)
            {
                WriteWarning($"-KeepSplit: '{input}' is not a split set, so the output is one file.");
            }
            options = Options(preset, importance, KeepSplit && file.IsSplit);
            plan = QuantizationPlanner.Create(file, options);
            split = options.KeepSplit ? KeepSplitPlan.Create(plan, output) : null;
        }
        foreach (string path in split?.Parts.Select(p => p.Path) ?? [output])
        {
            OutputFile.Check(path, [input], Force);
        }
        plan.Warnings.ToList().ForEach(WriteWarning);
        plan.Notes.ToList().ForEach(WriteVerbose);
        long predicted = split?.Parts.Sum(p => p.PredictedFileSize) ?? plan.PredictedFileSize;
        string action = $"Quantize to {options.Preset.Name} ({plan.Tensors.Count(t => !t.IsCopied)} of {plan.Tensors.Count} tensors converted, predicted size {ByteSize.Format(predicted)}"
            + (split is null ? ")" : $", in {split.Parts.Count} parts as the input)");
        if (IsWhatIf())
        {
            ShouldProcess($"{input} -> {output}", action);
            foreach (var part in split?.Parts ?? [])
            {
                ShouldProcess(part.Path, $"{part.Descriptors.Count} tensors, {ByteSize.Format(part.PredictedFileSize)}");
            }
            foreach (var t in plan.Tensors)
            {
                string fallback = t.IsFallback ? $"fallback: yes, {t.RequestedType} does not fit" : "fallback: no";
                ShouldProcess($"{t.Name} [{string.Join(", ", t.Shape)}]", $"{t.SourceType} -> {t.TargetType} ({fallback})");
            }
        }
        else if (ShouldProcess($"{input} -> {output}", action))
        {
            WriteObject(RunWorker((channel, cancel) => Run(channel, cancel, plan, split, output)));
        }
    }

    // On the worker thread: a bar for the file, with a bar for the tensor at hand under it.
    private GgufModelInfo Run(WorkerChannel channel, CancellationToken cancel, QuantizationPlan plan, KeepSplitPlan? split, string output)
    {
        string activity = $"Invoke-Quantize {plan.Preset.Name}";
        string files = $"{System.IO.Path.GetFileName(plan.InputPath)} -> {System.IO.Path.GetFileName(output)}";
        var progress = channel.ProgressOf<QuantizationProgress>(p =>
        {
            channel.Progress(new WorkerProgress(1, activity, files)
            {
                PercentComplete = WorkerProgress.Percent(p.BytesDone, p.BytesTotal),
                Remaining = WorkerProgress.RemainingAfter(channel.Elapsed, p.BytesDone, p.BytesTotal),
            });
            return new WorkerProgress(2, $"Tensor {p.TensorIndex + 1} of {p.TensorCount}: {p.TensorName}", p.SourceType == p.TargetType ? $"copying {p.SourceType}" : $"{p.SourceType} -> {p.TargetType}")
            {
                ParentId = 1,
                PercentComplete = p.RowCount == 0 ? 100 : WorkerProgress.Percent(p.RowsDone, p.RowCount),
            };
        });
        var info = split is null
            ? ModelQuantizer.Run(plan, output, Force, Threads, progress, cancel)
            : ModelQuantizer.RunKeepSplit(split.Plan, output, Force, Threads, progress, cancel);
        channel.Verbose(FormattableString.Invariant($"Wrote '{output}' ({ByteSize.Format(info.FileSize)}) in {channel.Elapsed.TotalSeconds:F1} s."));
        return info;
    }

    private QuantizationOptions Options(QuantizationPreset preset, ImportanceMatrix? importance, bool keepSplit) => new()
    {
        KeepSplit = keepSplit,
        Preset = preset,
        OutputTensorType = _outputType,
        TokenEmbeddingType = _tokenType,
        TensorTypes = _tensorTypes,
        Pure = Pure,
        LeaveOutputTensor = LeaveOutputTensor,
        AllowRequantize = AllowRequantize,
        ImportanceMatrix = importance,
        IncludeWeights = IncludeWeights,
        ExcludeWeights = ExcludeWeights,
        MetadataOverrides = _metadata,
        Threads = Threads,
    };

    private string OutputFor(string input, QuantizationPreset preset) =>
        QuantizedFileNaming.OutputPathFor(input, preset.Name, OutputPath is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputPath), _presets.Count);

    private ImportanceMatrix LoadImportance(string path, string? givenAs)
    {
        WriteVerbose($"Reading importance matrix '{path}'.");
        var matrix = Quantization.ImportanceMatrix.Load(path, givenAs);
        WriteVerbose($"Importance matrix: {matrix.Count} entries, {matrix.ChunkCount} chunks, datasets: {string.Join(", ", matrix.Datasets)}.");
        return matrix;
    }
}
