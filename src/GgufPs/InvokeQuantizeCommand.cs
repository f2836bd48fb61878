using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;
using GgufPs.Quantization;

namespace GgufPs.Commands;

/// <summary>
/// Invoke-Quantize: llama-quantize in PowerShell. Quantizes GGUF models to one or more types, byte-identical to
/// llama.cpp, streaming tensor by tensor, and returns the new files as GgufModelInfo objects.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Quantize", DefaultParameterSetName = ImportanceMatrixInputSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class InvokeQuantizeCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string ImportanceMatrixInputSet = "ImportanceMatrixInput";

    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, ImportanceMatrix> _pipedImportance = new(StringComparer.Ordinal);
    private List<QuantizationPreset> _presets = [];
    private ImportanceMatrix? _importance;
    private GgmlType? _outputType;
    private GgmlType? _tokenType;
    private List<KeyValuePair<string, GgmlType>> _tensorTypes = [];
    private List<KeyValuePair<string, object>> _metadata = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>An importance matrix from New-ImportanceMatrix: its model is quantized with it.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ImportanceMatrixInputSet)]
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

    protected override void BeginProcessing()
    {
        try
        {
            _presets = Type.Select(QuantizationPreset.Parse).DistinctBy(p => p.Name).ToList();
            _outputType = OutputTensorType is null ? null : ParseTensorType(OutputTensorType, nameof(OutputTensorType));
            _tokenType = TokenEmbeddingType is null ? null : ParseTensorType(TokenEmbeddingType, nameof(TokenEmbeddingType));
            _tensorTypes = ParseTensorTypes(TensorType);
            _metadata = ParseMetadata(OverrideMetadata);
            if (IncludeWeights.Length > 0 && ExcludeWeights.Length > 0)
            {
                throw new ArgumentException("Use -IncludeWeights or -ExcludeWeights, not both.");
            }
            if ((IncludeWeights.Length > 0 || ExcludeWeights.Length > 0) && ImportanceMatrix is null && !MyInvocation.ExpectingInput)
            {
                throw new ArgumentException("-IncludeWeights and -ExcludeWeights choose which tensors use the importance matrix; give one with -ImportanceMatrix.");
            }
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidArgument", ErrorCategory.InvalidArgument, null));
        }
        if (ImportanceMatrix is not null)
        {
            string path = FileSystemPathResolver.ResolveOutput(this, ImportanceMatrix);
            try
            {
                WriteVerbose($"Reading importance matrix '{path}'.");
                _importance = Quantization.ImportanceMatrix.Load(path, ImportanceMatrix);
                WriteVerbose($"Importance matrix: {_importance.Count} entries, {_importance.ChunkCount} chunks, datasets: {string.Join(", ", _importance.Datasets)}.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or GgufFormatException)
            {
                ThrowTerminatingError(ErrorCatalog.Record(ex, path));
            }
        }
    }

    protected override void ProcessRecord()
    {
        var importance = _importance;
        List<string> inputs;
        if (InputObject is { } piped)
        {
            if (piped.Model is null)
            {
                WriteError(new ErrorRecord(new ArgumentException($"The importance matrix '{piped.Path}' does not say which model it was computed from; give the model with -Path and the matrix with -ImportanceMatrix."),
                    "NoModel", ErrorCategory.InvalidArgument, piped));
                return;
            }
            if (!TryLoadPiped(piped.Path, out importance))
            {
                return;
            }
            inputs = FileSystemPathResolver.ResolveExistingFiles(this, [piped.Model], literal: true).ToList();
        }
        else
        {
            inputs = FileSystemPathResolver.ResolveExistingFiles(this, Path, literal: false).ToList();
        }
        if ((IncludeWeights.Length > 0 || ExcludeWeights.Length > 0) && importance is null)
        {
            WriteError(new ErrorRecord(new ArgumentException("-IncludeWeights and -ExcludeWeights choose which tensors use the importance matrix; give one with -ImportanceMatrix."),
                "InvalidArgument", ErrorCategory.InvalidArgument, null));
            return;
        }
        foreach (string input in inputs)
        {
            foreach (var preset in _presets)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    Quantize(input, OutputFor(input, preset), preset, importance);
                }
                catch (PipelineStoppedException)
                {
                    throw;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException
                                               or InvalidDataException or InvalidOperationException or OperationCanceledException or GgufFormatException)
                {
                    WriteError(ErrorCatalog.Record(ex, input));
                }
            }
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    private string OutputFor(string input, QuantizationPreset preset)
    {
        if (OutputPath is null)
        {
            return QuantizedFileNaming.DefaultOutputPath(input, preset.Name);
        }
        string resolved = FileSystemPathResolver.ResolveOutput(this, OutputPath);
        if (Directory.Exists(resolved))
        {
            return System.IO.Path.Combine(resolved, QuantizedFileNaming.DefaultOutputName(System.IO.Path.GetFileName(input), preset.Name));
        }
        if (_presets.Count > 1)
        {
            throw new PSArgumentException("With several types, -OutputPath must be an existing folder; each file is named after its type there.");
        }
        return resolved;
    }

    /// <summary>Reads (once) an importance matrix that came down the pipeline.</summary>
    private bool TryLoadPiped(string path, out ImportanceMatrix? matrix)
    {
        if (_pipedImportance.TryGetValue(path, out var cached))
        {
            matrix = cached;
            return true;
        }
        try
        {
            WriteVerbose($"Reading importance matrix '{path}'.");
            matrix = Quantization.ImportanceMatrix.Load(path);
            _pipedImportance[path] = matrix;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or GgufFormatException)
        {
            WriteError(ErrorCatalog.Record(ex, path));
            matrix = null;
            return false;
        }
    }

    private void Quantize(string input, string output, QuantizationPreset preset, ImportanceMatrix? importance)
    {
        if (string.Equals(System.IO.Path.GetFullPath(output), System.IO.Path.GetFullPath(input), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            WriteError(new ErrorRecord(new ArgumentException($"The output '{output}' is the input file; give -OutputPath to write elsewhere."),
                "OutputIsInput", ErrorCategory.InvalidArgument, input));
            return;
        }
        var options = new QuantizationOptions
        {
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
        QuantizationPlan plan;
        using (var file = GgufFile.Open(input))
        {
            plan = QuantizationPlanner.Create(file, options);
        }
        foreach (string warning in plan.Warnings)
        {
            WriteWarning(warning);
        }
        foreach (string note in plan.Notes)
        {
            WriteVerbose(note);
        }
        if (File.Exists(output) && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"'{output}' already exists; use -Force to replace it."),
                "OutputExists", ErrorCategory.ResourceExists, output));
            return;
        }
        string action = $"Quantize to {preset.Name} ({plan.Tensors.Count(t => !t.IsCopied)} of {plan.Tensors.Count} tensors converted, predicted size {FormatSize(plan.PredictedFileSize)})";
        if (IsWhatIf())
        {
            ShouldProcess($"{input} -> {output}", action);
            foreach (var t in plan.Tensors)
            {
                string fallback = t.IsFallback ? $"fallback: yes, {t.RequestedType} does not fit" : "fallback: no";
                ShouldProcess($"{t.Name} [{string.Join(", ", t.Shape)}]", $"{t.SourceType} -> {t.TargetType} ({fallback})");
            }
            return;
        }
        if (!ShouldProcess($"{input} -> {output}", action))
        {
            return;
        }
        WriteObject(Run(plan, input, output));
    }

    // The quantizer runs on a worker; progress and completion come back to the pipeline thread, where Write-Progress is allowed.
    private GgufModelInfo Run(QuantizationPlan plan, string input, string output)
    {
        var updates = new BlockingCollection<QuantizationProgress>(new ConcurrentQueue<QuantizationProgress>());
        var progress = new QueueProgress(updates);
        var work = Task.Run(() =>
        {
            try
            {
                return ModelQuantizer.Run(plan, output, Force, Threads, progress, _stop.Token);
            }
            finally
            {
                updates.CompleteAdding();
            }
        });
        var parent = new ProgressRecord(1, $"Invoke-Quantize {plan.Preset.Name}", $"{System.IO.Path.GetFileName(input)} -> {System.IO.Path.GetFileName(output)}");
        var child = new ProgressRecord(2, "Tensor", "starting") { ParentActivityId = 1 };
        var clock = Stopwatch.StartNew();
        long lastShown = -1000;
        foreach (var p in updates.GetConsumingEnumerable())
        {
            if (clock.ElapsedMilliseconds - lastShown < 250 && p.RowsDone != 0)
            {
                continue;
            }
            lastShown = clock.ElapsedMilliseconds;
            parent.PercentComplete = p.BytesTotal == 0 ? 0 : (int)Math.Min(100, p.BytesDone * 100 / p.BytesTotal);
            if (p.BytesDone > 0 && p.BytesDone < p.BytesTotal)
            {
                parent.SecondsRemaining = (int)(clock.Elapsed.TotalSeconds * (p.BytesTotal - p.BytesDone) / p.BytesDone);
            }
            child.Activity = $"Tensor {p.TensorIndex + 1} of {p.TensorCount}: {p.TensorName}";
            child.StatusDescription = p.SourceType == p.TargetType ? $"copying {p.SourceType}" : $"{p.SourceType} -> {p.TargetType}";
            child.PercentComplete = p.RowCount == 0 ? 100 : (int)Math.Min(100, p.RowsDone * 100 / p.RowCount);
            WriteProgress(parent);
            WriteProgress(child);
        }
        child.RecordType = ProgressRecordType.Completed;
        parent.RecordType = ProgressRecordType.Completed;
        WriteProgress(child);
        WriteProgress(parent);
        try
        {
            var info = work.GetAwaiter().GetResult();
            WriteVerbose($"Wrote '{output}' ({FormatSize(info.FileSize)}) in {clock.Elapsed.TotalSeconds:F1} s.");
            return info;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private bool IsWhatIf()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value))
        {
            return value is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(value);
        }
        return LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));
    }

    private static GgmlType ParseTensorType(string name, string parameter)
    {
        if (GgmlTypeInfo.TryParse(name, out var type) && BlockFormats.TryGet(type, out var format) && format.IsTensorFormat)
        {
            return type;
        }
        string valid = string.Join(", ", BlockFormats.All.Where(f => f.IsTensorFormat).Select(f => f.Type));
        throw new ArgumentException($"-{parameter}: '{name}' is not a tensor type this module can write. Valid types: {valid}.");
    }

    // A plain hashtable has no order; its patterns are tried longest first, so the most specific usually wins.
    private static List<KeyValuePair<string, GgmlType>> ParseTensorTypes(IDictionary? types)
    {
        var result = new List<KeyValuePair<string, GgmlType>>();
        if (types is null)
        {
            return result;
        }
        foreach (DictionaryEntry entry in types)
        {
            string pattern = Unwrap(entry.Key)?.ToString() ?? "";
            string typeName = Unwrap(entry.Value)?.ToString() ?? "";
            if (pattern.Length == 0)
            {
                throw new ArgumentException("-TensorType: a pattern is empty.");
            }
            try
            {
                _ = new Regex(pattern.ToLowerInvariant(), RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"-TensorType: '{pattern}' is not a valid regular expression: {ex.Message}");
            }
            result.Add(new(pattern, ParseTensorType(typeName, nameof(TensorType))));
        }
        if (types is not OrderedDictionary && result.Count > 1)
        {
            result = result.OrderByDescending(r => r.Key.Length).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        }
        return result;
    }

    private static List<KeyValuePair<string, object>> ParseMetadata(IDictionary? overrides)
    {
        var result = new List<KeyValuePair<string, object>>();
        if (overrides is null)
        {
            return result;
        }
        foreach (DictionaryEntry entry in overrides)
        {
            string key = Unwrap(entry.Key)?.ToString() ?? "";
            object value = Unwrap(entry.Value) ?? throw new ArgumentException($"-OverrideMetadata: '{key}' has no value.");
            if (key.Length == 0)
            {
                throw new ArgumentException("-OverrideMetadata: a key is empty.");
            }
            if (value is not (string or bool or float or double or decimal or sbyte or byte or short or ushort or int or uint or long or ulong))
            {
                throw new ArgumentException($"-OverrideMetadata: '{key}' is a {value.GetType().Name}; use a string, a bool, an integer or a number.");
            }
            result.Add(new(key, value));
        }
        return result;
    }

    private static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;

    private static string FormatSize(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F2} MiB"
        : $"{bytes / 1024.0:F2} KiB";

    private sealed class QueueProgress(BlockingCollection<QuantizationProgress> queue) : IProgress<QuantizationProgress>
    {
        public void Report(QuantizationProgress value)
        {
            if (!queue.IsAddingCompleted)
            {
                queue.Add(value);
            }
        }
    }
}
