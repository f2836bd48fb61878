using System.Collections.Concurrent;
using System.Management.Automation;
using System.Text;
using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Commands;

/// <summary>
/// New-ImportanceMatrix: llama-imatrix. Runs a model over calibration text and writes the per-column mean squared
/// activations of its weights (GGUF or legacy .dat) for Invoke-Quantize -ImportanceMatrix; merges existing matrices.
/// </summary>
[Cmdlet(VerbsCommon.New, "ImportanceMatrix", DefaultParameterSetName = MergeSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ImportanceMatrixInfo))]
public sealed class NewImportanceMatrixCommand : PSCmdlet
{
    private const string TextPathSet = "TextPath";
    private const string TextSet = "Text";
    private const string MergeSet = "Merge";

    private readonly CancellationTokenSource _stop = new();
    private byte[]? _text;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TextPathSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TextSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = TextPathSet)]
    [ValidateNotNullOrEmpty]
    public string TextPath { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Text { get; set; } = "";

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [Parameter(Mandatory = true, ParameterSetName = MergeSet)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Merge { get; set; } = [];

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [Parameter(Mandatory = true, ParameterSetName = MergeSet)]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public ImportanceMatrixFormat Format { get; set; }

    [Parameter]
    [ValidateRange(4, 1 << 20)]
    public int Context { get; set; } = 512;

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateRange(1, int.MaxValue)]
    public int Chunks { get; set; }

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateRange(0, int.MaxValue)]
    public int SkipChunks { get; set; }

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; } = 512;

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateRange(1, 1024)]
    public int Threads { get; set; } = Environment.ProcessorCount;

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public SwitchParameter ProcessOutput { get; set; }

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public SwitchParameter ParseSpecial { get; set; }

    [Parameter(ParameterSetName = TextPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public SwitchParameter NoPerplexity { get; set; }

    [Parameter]
    public SwitchParameter Statistics { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            if (ParameterSetName == MergeSet)
            {
                MergeOnly();
            }
            else
            {
                Compute();
            }
        }
        catch (PipelineStoppedException)
        {
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or GgufFormatException
            or NotImplementedException or ArgumentException or OperationCanceledException or InvalidOperationException)
        {
            WriteError(ErrorCatalog.Record(ex, ParameterSetName == MergeSet ? OutputPath : Path));
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void MergeOnly()
    {
        string output = FileSystemPathResolver.ResolveOutput(this, OutputPath!);
        var format = FormatFor(output);
        var inputs = LoadMerged(null);
        if (inputs is null || !CheckOutput(output, inputs.Select(m => m.Path)))
        {
            return;
        }
        // Without a text the chunk size only turns counts into chunks: take the first GGUF input's, else -Context.
        int chunkSize = MyInvocation.BoundParameters.ContainsKey(nameof(Context)) ? Context
            : inputs.Select(m => m.ChunkSize).FirstOrDefault(s => s > 0, Context);
        var matrix = new ImportanceMatrixAccumulator(chunkSize);
        foreach (var m in inputs)
        {
            matrix.Add(m);
        }
        if (!ShouldProcess(output, $"Write the merge of {inputs.Count} importance matrices ({matrix.Count} entries, {format})"))
        {
            return;
        }
        matrix.Save(output, format, Force);
        WriteObject(Describe(output, format, matrix, null, null));
    }

    private void Compute()
    {
        string modelPath = FileSystemPathResolver.ResolveOutput(this, Path);
        if (!FileSystemPathResolver.CheckExistingFile(this, modelPath) || !TryReadText(out byte[] text, out string? dataset))
        {
            return;
        }
        string output = OutputPath is null
            ? DefaultOutputPath(modelPath)
            : FileSystemPathResolver.ResolveOutput(this, OutputPath);
        var format = FormatFor(output);
        var merged = LoadMerged(modelPath);
        if (merged is null || !CheckOutput(output, [modelPath, .. merged.Select(m => m.Path)]))
        {
            return;
        }
        string chunks = MyInvocation.BoundParameters.ContainsKey(nameof(Chunks)) ? $"{Chunks} chunk(s)" : "all chunks";
        if (!ShouldProcess(output, $"Compute the importance matrix of {System.IO.Path.GetFileName(modelPath)} over {chunks} of {Context} tokens ({format})"))
        {
            return;
        }

        var matrix = new ImportanceMatrixAccumulator(Context, Threads) { ProcessOutput = ProcessOutput };
        if (merged.Count > 0)
        {
            using var file = GgufFile.Open(modelPath);
            foreach (var m in merged)
            {
                matrix.Add(m, file);
            }
        }
        if (dataset is not null)
        {
            matrix.AddDataset(dataset);
        }
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
        PerplexityResult? result;
        using (var model = TransformerModel.Open(modelPath))
        {
            result = Run(model, options, text, matrix);
        }
        bool pipelineStopped = _stop.IsCancellationRequested;
        if (result is { Completed: true })
        {
            matrix.Save(output, format, Force);
            WriteObject(Describe(output, format, matrix, modelPath, result));
            return;
        }
        string when = result is null ? "before the first chunk was finished" : $"after {result.Chunks} chunk(s)";
        bool anything = result is not null || merged.Count > 0;
        if (Force && anything)
        {
            matrix.Save(output, format, overwrite: true);
        }
        if (pipelineStopped)
        {
            throw new PipelineStoppedException();
        }
        if (Force && anything)
        {
            WriteWarning($"Stopped {when}; '{output}' holds what was computed until then.");
            WriteObject(Describe(output, format, matrix, modelPath, result));
        }
        else
        {
            WriteWarning($"Stopped {when}; nothing was written (with -Force, what was computed until a stop is saved).");
        }
    }

    /// <summary>
    /// Runs the computation on a worker while this, the pipeline thread, writes its progress and warnings and watches
    /// for Ctrl+C. Returns null when stopped before the first chunk was finished.
    /// </summary>
    private PerplexityResult? Run(TransformerModel model, ImportanceMatrixOptions options, byte[] text, ImportanceMatrixAccumulator matrix)
    {
        var messages = new BlockingCollection<object>();
        var computer = new ImportanceMatrixComputer(model, options) { Warning = w => messages.Add(new WarningMessage(w)) };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var progress = new Progress(messages);
        var work = Task.Run(() =>
        {
            try
            {
                return computer.Compute(text, matrix, progress, cancel.Token);
            }
            finally
            {
                messages.CompleteAdding();
            }
        });

        using (var keyboard = ControlCInterception.TryStart(this))
        {
            string activity = $"Computing the importance matrix of {System.IO.Path.GetFileName(model.Path)}";
            WriteProgress(new ProgressRecord(1, activity, "Tokenizing and evaluating the first chunk..."));
            while (!messages.IsCompleted)
            {
                if (messages.TryTake(out object? message, 100) && !_stop.IsCancellationRequested)
                {
                    switch (message)
                    {
                        case PerplexityProgress p:
                            string ppl = double.IsNaN(p.RunningPerplexity) ? "" : FormattableString.Invariant($": perplexity {p.RunningPerplexity:F4}");
                            WriteProgress(new ProgressRecord(1, activity, $"Chunk {p.ChunksDone} of {p.Chunks}{ppl}")
                            {
                                PercentComplete = p.PercentComplete,
                                SecondsRemaining = (int)Math.Ceiling(p.EstimatedRemaining.TotalSeconds),
                            });
                            if (!double.IsNaN(p.RunningPerplexity))
                            {
                                WriteVerbose(FormattableString.Invariant($"[{p.ChunksDone}]{p.RunningPerplexity:F4}"));
                            }
                            break;
                        case WarningMessage w:
                            WriteWarning(w.Text);
                            break;
                    }
                }
                if (keyboard?.Pressed == true && !cancel.IsCancellationRequested)
                {
                    cancel.Cancel();
                }
            }
            if (!_stop.IsCancellationRequested)
            {
                WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
        try
        {
            return work.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return null;
        }
    }

    private ImportanceMatrixInfo Describe(string output, ImportanceMatrixFormat format, ImportanceMatrixAccumulator matrix, string? model, PerplexityResult? result)
    {
        // The legacy format leaves out entries that saw no data.
        var entries = matrix.Entries().Where(e => format == ImportanceMatrixFormat.Gguf || e.Counts.Any(c => c != 0)).ToList();
        bool measured = result is not null && !double.IsNaN(result.Perplexity);
        return new ImportanceMatrixInfo(output, format, entries, matrix.ChunkCount, matrix.ChunkSize, matrix.Datasets)
        {
            Model = model,
            Perplexity = measured ? result!.Perplexity : null,
            StandardError = measured ? result!.StandardError : null,
            TokensPerSecond = result?.TokensPerSecond,
            Seconds = result?.Seconds,
            Completed = result?.Completed ?? model is null,
            Statistics = Statistics ? ImportanceMatrixStatistics.Compute(entries, output) : null,
        };
    }

    private ImportanceMatrixFormat FormatFor(string output) =>
        MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format
        : output.EndsWith(".dat", StringComparison.OrdinalIgnoreCase) ? ImportanceMatrixFormat.Dat
        : ImportanceMatrixFormat.Gguf;

    /// <summary>model-f16.gguf → model-f16.imatrix.gguf (or .imatrix.dat) beside the model.</summary>
    private string DefaultOutputPath(string modelPath)
    {
        string name = System.IO.Path.GetFileName(modelPath);
        if (name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^".gguf".Length];
        }
        var format = MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format : ImportanceMatrixFormat.Gguf;
        string extension = format == ImportanceMatrixFormat.Dat ? ".imatrix.dat" : ".imatrix.gguf";
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(modelPath)!, name + extension);
    }

    private bool CheckOutput(string output, IEnumerable<string> inputs)
    {
        if (Directory.Exists(output))
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{output}' is a directory; -OutputPath names the file to write."), "OutputIsDirectory", ErrorCategory.InvalidArgument, output));
            return false;
        }
        if (inputs.Any(i => SamePath(i, output)))
        {
            WriteError(new ErrorRecord(new ArgumentException($"The output '{output}' is one of the inputs, which are never modified; give another -OutputPath."),
                "OutputIsInput", ErrorCategory.InvalidArgument, output));
            return false;
        }
        if (File.Exists(output) && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"'{output}' already exists; use -Force to replace it."), "OutputExists", ErrorCategory.ResourceExists, output));
            return false;
        }
        return true;
    }

    private List<ImportanceMatrix>? LoadMerged(string? modelPath)
    {
        var result = new List<ImportanceMatrix>();
        if (Merge.Length == 0)
        {
            return result;
        }
        foreach (string input in FileSystemPathResolver.ResolveExistingFiles(this, Merge, literal: false))
        {
            if (modelPath is not null && SamePath(input, modelPath))
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{input}' is the model, not an importance matrix."), "MergeIsModel", ErrorCategory.InvalidArgument, input));
                return null;
            }
            try
            {
                WriteVerbose($"Reading importance matrix '{input}'.");
                result.Add(ImportanceMatrix.Load(input));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or GgufFormatException)
            {
                WriteError(ErrorCatalog.Record(ex, input));
                return null;
            }
        }
        // A name that resolved to nothing has been reported; merging the rest would silently drop it.
        return result.Count == 0 ? null : result;
    }

    private bool TryReadText(out byte[] text, out string? dataset)
    {
        dataset = ParameterSetName == TextPathSet ? TextPath : null;
        _text ??= ParameterSetName == TextSet ? Encoding.UTF8.GetBytes(Text) : FileSystemPathResolver.ReadInputFile(this, TextPath);
        text = _text ?? [];
        return _text is not null;
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(System.IO.Path.GetFullPath(a), System.IO.Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

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
