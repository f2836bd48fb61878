using System.Diagnostics;
using GgufPs.Evaluation;
using GgufPs.Generation;
using GgufPs.Inference;
using GgufPs.Quantization;
using GgufPs.Tokenization;

namespace GgufPs.Workflow;

/// <summary>
/// The seed's comparison of quantization types for one model, step by step: the source is measured once and its
/// log-probabilities saved (llama.cpp's --kl-divergence-base file); then each type is quantized, measured on the
/// same tokens against that file (perplexity and KL divergence in one pass, as llama-perplexity --kl-divergence
/// does) and, unless the files are kept, deleted. The caller decides between the steps (confirmation, progress).
/// Files not kept go to a folder of their own under the system's temporary folder, unless an output directory is
/// given; kept files go beside the source by default.
/// </summary>
public sealed class QuantizationComparer : IDisposable
{
    private readonly QuantizationComparisonOptions _options;
    private readonly TransformerConfig _config;
    private readonly HashSet<string> _warned = [];
    private readonly bool _ownsDirectory;
    private PerplexityResult? _baseline;

    private QuantizationComparer(string sourcePath, QuantizationComparisonOptions options, GgufModelInfo source, TransformerConfig config,
        string directory, bool ownsDirectory, string logitsPath, IReadOnlyList<QuantizationCandidate> candidates)
    {
        _ownsDirectory = ownsDirectory;
        SourcePath = sourcePath;
        _options = options;
        Source = source;
        _config = config;
        OutputDirectory = directory;
        LogitsPath = logitsPath;
        Candidates = candidates;
        SourceType = ModelTypeName.Of(source);
    }

    public string SourcePath { get; }

    public GgufModelInfo Source { get; }

    /// <summary>The source's type as the baseline row names it (F16, BF16, F32).</summary>
    public string SourceType { get; }

    /// <summary>Where the quantized files and the log-probabilities go; created when the source is measured.</summary>
    public string OutputDirectory { get; }

    /// <summary>Where the source's log-probabilities are saved for the KL divergence.</summary>
    public string LogitsPath { get; }

    /// <summary>The types to compare, in the order given, each planned or with the reason it cannot be.</summary>
    public IReadOnlyList<QuantizationCandidate> Candidates { get; }

    /// <summary>Called (once per distinct message, from the working thread) for conditions llama.cpp only warns about.</summary>
    public Action<string>? Warning { get; set; }

    /// <summary>
    /// Reads the source and plans every type. Nothing is written yet, not even the output directory.
    /// </summary>
    /// <exception cref="ArgumentException">The source is already quantized, or an option is invalid.</exception>
    /// <exception cref="NotSupportedException">The architecture cannot be run.</exception>
    public static QuantizationComparer Open(string sourcePath, QuantizationComparisonOptions options, Action<string>? warning = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Types.Count == 0)
        {
            throw new ArgumentException("Give at least one quantization type to compare.", nameof(options));
        }
        if (options.Context < 4)
        {
            throw new ArgumentException($"The context must be at least 4 tokens; {options.Context} was given.", nameof(options));
        }
        if (options.SampleTokens < 0 || options.GenerationTokens < 1 || options.SamplePrompt is null)
        {
            throw new ArgumentException("The sample needs a prompt and 0 or more tokens, and the generation test at least one token.", nameof(options));
        }
        string source = Path.GetFullPath(sourcePath);
        using var file = GgufFile.Open(source);
        var info = file.ToModelInfo();
        var quantized = file.Tensors.FirstOrDefault(t => GgmlTypeInfo.Get(t.Type).IsQuantized);
        if (quantized is not null)
        {
            throw new ArgumentException(
                $"'{info.FileName}' is already quantized (tensor '{quantized.Name}' is {quantized.TypeName}); compare from the F32, F16 or BF16 model.");
        }
        var config = TransformerConfig.FromMetadata(file.Metadata);

        string run = Guid.NewGuid().ToString("N")[..8];
        bool ownsDirectory = options.OutputDirectory is null && !options.KeepFiles;
        string directory = Path.GetFullPath(options.OutputDirectory
            ?? (ownsDirectory ? Path.Combine(Path.GetTempPath(), "ggufps-compare-" + run) : Path.GetDirectoryName(source) ?? "."));
        if (File.Exists(directory))
        {
            throw new IOException($"The output directory '{directory}' is a file.");
        }
        string stem = Path.GetFileNameWithoutExtension(source);
        string logits = Path.Combine(directory, options.KeepFiles ? stem + ".logits" : $"{stem}.compare-{run}.logits");
        if (options.KeepFiles && File.Exists(logits) && !options.Overwrite)
        {
            throw new OutputExistsException(logits);
        }

        var candidates = new List<QuantizationCandidate>();
        foreach (var preset in options.Types.DistinctBy(p => p.Name))
        {
            var type = QuantizationTypeCatalog.Get(preset);
            string name = QuantizedFileNaming.DefaultOutputName(Path.GetFileName(source), preset.Name);
            string output = Path.Combine(directory, options.KeepFiles ? name : $"{Path.GetFileNameWithoutExtension(name)}.compare-{run}.gguf");
            candidates.Add(Plan(file, type, options, source, output, name));
        }
        return new QuantizationComparer(source, options, info, config, directory, ownsDirectory, logits, candidates) { Warning = warning };
    }

    private static QuantizationCandidate Plan(GgufFile file, QuantizationType type, QuantizationComparisonOptions options, string source, string output, string name)
    {
        try
        {
            if (FileSystemPath.AreSame(output, source))
            {
                throw new OutputIsInputException(output, $"{type.Name} would be written over the source '{source}'; give -OutputDirectory to write elsewhere.");
            }
            if (options.KeepFiles && File.Exists(output) && !options.Overwrite)
            {
                throw new OutputExistsException(output);
            }
            var plan = QuantizationPlanner.Create(file, new QuantizationOptions
            {
                Preset = type.Preset,
                ImportanceMatrix = options.ImportanceMatrix,
                Threads = options.Threads,
            });
            return new QuantizationCandidate(type, output, name, plan, null);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException or InvalidDataException or NotSupportedException)
        {
            return new QuantizationCandidate(type, output, name, null, ex);
        }
    }

    /// <summary>
    /// The most the comparison of <paramref name="candidates"/> on <paramref name="text"/> has on disk at once: the
    /// source's log-probabilities (n_vocab 16-bit values for every scored token: gigabytes for large vocabularies)
    /// and the quantized files, all of them when kept, else the largest, as each is removed before the next.
    /// </summary>
    public long RequiredBytes(ReadOnlySpan<byte> text, IEnumerable<QuantizationCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var sizes = candidates.Select(c => c.Plan?.PredictedFileSize ?? 0).ToList();
        long quantized = sizes.Count == 0 ? 0 : _options.KeepFiles ? sizes.Sum() : sizes.Max();
        Tokenizer tokenizer;
        using (var file = GgufFile.Open(SourcePath))
        {
            tokenizer = Tokenizer.FromMetadata(file.Metadata);
        }
        int tokens = tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false).Length;
        int chunks = Math.Min(_options.Chunks ?? int.MaxValue, tokens / _options.Context);
        return quantized + LogitsFile.FileSize(_options.Context, tokenizer.VocabularySize, chunks);
    }

    /// <summary>Checks, before anything is written, that the output directory's disk has <see cref="RequiredBytes"/> free.</summary>
    /// <exception cref="InsufficientSpaceException">It has not.</exception>
    public void CheckFreeSpace(ReadOnlySpan<byte> text, IEnumerable<QuantizationCandidate> candidates)
    {
        long required = RequiredBytes(text, candidates);
        string existing = OutputDirectory;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }
        long available = new DriveInfo(existing).AvailableFreeSpace;
        if (available < required)
        {
            throw new InsufficientSpaceException(OutputDirectory, required, available,
                _ownsDirectory ? "Give -OutputDirectory on a disk with more space (the files are removed afterwards)." : null);
        }
    }

    /// <summary>
    /// Measures the source on <paramref name="text"/> and saves its log-probabilities for the comparisons that follow.
    /// Returns the baseline row.
    /// </summary>
    /// <exception cref="OperationCanceledException">Stopped: there is nothing to compare with.</exception>
    public QuantizationComparison MeasureSource(ReadOnlySpan<byte> text, IProgress<QuantizationComparisonProgress>? progress = null, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(OutputDirectory);
        using var model = TransformerModel.Open(SourcePath);
        var steady = new SteadyRate(SourceType, QuantizationComparisonStage.MeasuringSource, progress);
        var evaluator = new PerplexityEvaluator(model, PerplexityOptions()) { SaveLogitsPath = LogitsPath, Warning = Warn };
        var result = evaluator.Measure(text, steady, cancellation);
        if (!result.Completed)
        {
            // The log-probabilities cover only part of the chunks; nothing can be compared with them.
            throw new OperationCanceledException(cancellation);
        }
        _baseline = result;
        var (generationRate, sample) = MeasureGeneration(model, SourceType, QuantizationComparisonStage.MeasuringSource, progress, cancellation);
        return new QuantizationComparison
        {
            Type = SourceType,
            Perplexity = result.Perplexity,
            StandardError = result.StandardError,
            Delta = 0,
            KLD = 0,
            KLDUncertainty = 0,
            SameTopTokenPercent = 100,
            FileSize = Source.FileSize,
            BitsPerWeight = Source.BitsPerWeight,
            GenerationTokensPerSecond = generationRate,
            PromptTokensPerSecond = steady.TokensPerSecond(result),
            Sample = sample,
            RamBytes = RamEstimate.Bytes(Source.FileSize, _config, result.Context),
            Quality = QualityRating.Baseline,
            FallbackTensors = 0,
            QuantizeSeconds = 0,
            Context = result.Context,
            Chunks = result.Chunks,
            IsBaseline = true,
            Model = Source.FileName,
            Path = SourcePath,
            Source = SourcePath,
        };
    }

    /// <summary>Quantizes to one type, measures the result against the source and removes it unless files are kept.</summary>
    /// <exception cref="InvalidOperationException">The source has not been measured yet, or the candidate has no plan.</exception>
    public QuantizationComparison Compare(QuantizationCandidate candidate, IProgress<QuantizationComparisonProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var baseline = _baseline ?? throw new InvalidOperationException("Measure the source before comparing quantizations with it.");
        var plan = candidate.Plan ?? throw new InvalidOperationException($"{candidate.Type.Name} cannot be compared: {candidate.Error?.Message}");
        string name = candidate.Type.Name;
        try
        {
            var clock = Stopwatch.StartNew();
            var quantizing = progress is null ? null : new QuantizingProgress(name, progress);
            var info = ModelQuantizer.Run(plan, candidate.OutputPath, _options.Overwrite, _options.Threads, quantizing, cancellation);
            double quantizeSeconds = clock.Elapsed.TotalSeconds;

            PerplexityResult result;
            double generationRate;
            string? sample;
            var steady = new SteadyRate(name, QuantizationComparisonStage.Measuring, progress);
            using (var model = TransformerModel.Open(candidate.OutputPath))
            {
                var evaluator = new PerplexityEvaluator(model, PerplexityOptions()) { ReferenceLogitsPath = LogitsPath, Warning = Warn };
                result = evaluator.Measure(default, steady, cancellation);
                if (!result.Completed)
                {
                    throw new OperationCanceledException(cancellation);
                }
                (generationRate, sample) = MeasureGeneration(model, name, QuantizationComparisonStage.Measuring, progress, cancellation);
            }
            var kld = result.KlDivergence!;
            double delta = 100 * (result.Perplexity / baseline.Perplexity - 1);
            return new QuantizationComparison
            {
                Type = name,
                Perplexity = result.Perplexity,
                StandardError = result.StandardError,
                Delta = delta,
                KLD = kld.MeanKlDivergence,
                KLDUncertainty = kld.MeanKlDivergenceUncertainty,
                SameTopTokenPercent = kld.SameTopTokenPercent,
                FileSize = info.FileSize,
                BitsPerWeight = info.BitsPerWeight,
                GenerationTokensPerSecond = generationRate,
                PromptTokensPerSecond = steady.TokensPerSecond(result),
                Sample = sample,
                RamBytes = RamEstimate.Bytes(info.FileSize, _config, result.Context),
                Quality = QualityRating.Rate(delta, kld.MeanKlDivergence),
                FallbackTensors = candidate.FallbackTensors,
                QuantizeSeconds = quantizeSeconds,
                Context = result.Context,
                Chunks = result.Chunks,
                IsBaseline = false,
                Model = candidate.ModelName,
                Path = _options.KeepFiles ? candidate.OutputPath : null,
                Source = SourcePath,
            };
        }
        finally
        {
            if (!_options.KeepFiles)
            {
                DeleteQuietly(candidate.OutputPath);
            }
        }
    }

    /// <summary>Removes the saved log-probabilities unless files are kept, and the temporary folder it made.</summary>
    public void Dispose()
    {
        if (!_options.KeepFiles)
        {
            DeleteQuietly(LogitsPath);
        }
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(OutputDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private PerplexityOptions PerplexityOptions() => new()
    {
        Context = _options.Context,
        Chunks = _options.Chunks,
        BatchSize = _options.BatchSize,
        Threads = Math.Max(1, _options.Threads),
    };

    /// <summary>
    /// The generation rate (llama-bench's tg test, one timed run after a warm-up) and a few words generated greedily
    /// from the sample prompt, the prompt in front, so that garbled output shows.
    /// </summary>
    private (double Rate, string? Sample) MeasureGeneration(TransformerModel model, string type, QuantizationComparisonStage stage,
        IProgress<QuantizationComparisonProgress>? progress, CancellationToken cancellation)
    {
        progress?.Report(new QuantizationComparisonProgress(type, stage, 100, "measuring the generation speed and generating a sample", null));
        int threads = Math.Max(1, _options.Threads);
        double rate = ThroughputBenchmark.Samples(model, 0, _options.GenerationTokens, 1, threads, _options.BatchSize, warmup: true, null, cancellation)[0];
        if (_options.SampleTokens == 0)
        {
            return (rate, null);
        }
        var generator = new TextGenerator(model, new GenerationOptions
        {
            Sampling = new SamplingOptions { Greedy = true },
            MaxTokens = _options.SampleTokens,
            Threads = threads,
            BatchSize = _options.BatchSize,
        });
        var generated = generator.Generate(_options.SamplePrompt, null, cancellation);
        if (generated.StopReason == StopReason.Cancelled)
        {
            throw new OperationCanceledException(cancellation);
        }
        return (rate, _options.SamplePrompt + generated.Text);
    }

    private void Warn(string message)
    {
        bool first;
        lock (_warned)
        {
            first = _warned.Add(message);
        }
        if (first)
        {
            Warning?.Invoke(message);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Passes perplexity progress on and notes when the first chunk ended: the rate after it leaves out loading the
    /// weights and compiling the kernels, as llama.cpp's warm-up run does.
    /// </summary>
    private sealed class SteadyRate(string type, QuantizationComparisonStage stage, IProgress<QuantizationComparisonProgress>? progress) : IProgress<PerplexityProgress>
    {
        private TimeSpan _firstChunk;

        public void Report(PerplexityProgress value)
        {
            if (value.ChunksDone == 1)
            {
                _firstChunk = value.Elapsed;
            }
            progress?.Report(new QuantizationComparisonProgress(type, stage, value.PercentComplete,
                FormattableString.Invariant($"chunk {value.ChunksDone} of {value.Chunks}, perplexity {value.RunningPerplexity:F4}"), value.EstimatedRemaining));
        }

        public double TokensPerSecond(PerplexityResult result)
        {
            double seconds = result.Seconds - _firstChunk.TotalSeconds;
            return result.Chunks > 1 && seconds > 0 ? (double)(result.Chunks - 1) * result.Context / seconds : result.TokensPerSecond;
        }
    }

    private sealed class QuantizingProgress(string type, IProgress<QuantizationComparisonProgress> progress) : IProgress<QuantizationProgress>
    {
        public void Report(QuantizationProgress value) =>
            progress.Report(new QuantizationComparisonProgress(type, QuantizationComparisonStage.Quantizing,
                value.BytesTotal == 0 ? 0 : (int)Math.Min(100, value.BytesDone * 100 / value.BytesTotal),
                $"tensor {value.TensorIndex + 1} of {value.TensorCount}: {value.TensorName} ({value.SourceType} -> {value.TargetType})", null));
    }
}
