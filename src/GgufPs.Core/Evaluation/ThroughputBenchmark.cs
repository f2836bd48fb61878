using System.Diagnostics;
using GgufPs.Inference;
using GgufPs.Workflow;

namespace GgufPs.Evaluation;

/// <summary>
/// llama-bench for one model: the prompt-processing test evaluates random tokens (BOS first when the vocabulary
/// adds one) in batches, the generation test evaluates random tokens one at a time, with no sampling in either; each
/// test gets a context of its own, runs once untimed to warm up, then is timed over the repetitions, the KV cache
/// cleared before each.
/// </summary>
public sealed class ThroughputBenchmark : IDisposable
{
    private readonly TransformerModel _model;
    private readonly ThroughputOptions _options;
    private readonly GgufModelInfo _info;
    private readonly string _type;

    private ThroughputBenchmark(TransformerModel model, GgufModelInfo info, ThroughputOptions options)
    {
        _model = model;
        _info = info;
        _options = options;
        _type = ModelTypeName.Of(info);
    }

    /// <summary>Opens the model for measuring.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="GgufFormatException">The file is not a valid GGUF.</exception>
    /// <exception cref="NotSupportedException">The architecture cannot be run.</exception>
    public static ThroughputBenchmark Open(string path, ThroughputOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PromptTokens < 0 || options.GenerateTokens < 0)
        {
            throw new ArgumentException("The token counts must be 0 (skip the test) or more.", nameof(options));
        }
        if (options.Repetitions < 1)
        {
            throw new ArgumentException($"Give at least one repetition, not {options.Repetitions}.", nameof(options));
        }
        GgufModelInfo info;
        using (var file = GgufFile.Open(path))
        {
            info = file.ToModelInfo();
        }
        var model = TransformerModel.Open(path);
        return new ThroughputBenchmark(model, info, options);
    }

    /// <summary>The tests to run (pp512, tg128), those with a token count of 0 left out.</summary>
    public IReadOnlyList<string> Tests =>
        new[] { (_options.PromptTokens, "pp"), (_options.GenerateTokens, "tg") }.Where(t => t.Item1 > 0).Select(t => t.Item2 + t.Item1).ToArray();

    /// <summary>Runs the tests with <paramref name="threads"/> threads, returning each row when its test is done.</summary>
    public IEnumerable<ThroughputResult> Run(int threads, IProgress<ThroughputProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), "Give at least one thread.");
        }
        if (_options.PromptTokens > 0)
        {
            yield return Measure(_options.PromptTokens, 0, threads, progress, cancellation);
        }
        if (_options.GenerateTokens > 0)
        {
            yield return Measure(0, _options.GenerateTokens, threads, progress, cancellation);
        }
    }

    /// <summary>
    /// Tokens per second of each timed run of one llama-bench test on <paramref name="model"/>: a prompt of
    /// <paramref name="promptTokens"/> then <paramref name="generateTokens"/> tokens one at a time, in a fresh context.
    /// </summary>
    internal static double[] Samples(TransformerModel model, int promptTokens, int generateTokens, int repetitions, int threads, int batchSize,
        bool warmup, Action<int>? repetitionDone, CancellationToken cancellation)
    {
        // llama-bench draws with std::rand, unseeded; the tokens do not matter, only that they are not all alike.
        var random = new Random(1);
        int bos = model.Tokenizer.AddsBos ? model.Tokenizer.BosId : -1;
        using var context = new InferenceContext(model, Math.Max(1, promptTokens + generateTokens), batchSize, threads);
        var logits = new float[model.VocabularySize];
        if (warmup)
        {
            if (promptTokens > 0)
            {
                Prompt(context, promptTokens, batchSize, bos, random, logits, cancellation);
            }
            if (generateTokens > 0)
            {
                Generate(context, 1, bos, random, logits, cancellation);
            }
        }
        var samples = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            context.Clear();
            var clock = Stopwatch.StartNew();
            if (promptTokens > 0)
            {
                Prompt(context, promptTokens, batchSize, bos, random, logits, cancellation);
            }
            if (generateTokens > 0)
            {
                Generate(context, generateTokens, bos, random, logits, cancellation);
            }
            samples[r] = (promptTokens + generateTokens) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            repetitionDone?.Invoke(r + 1);
        }
        return samples;
    }

    /// <summary>llama-bench's stdev: the sample standard deviation, 0 for a single sample.</summary>
    internal static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count <= 1)
        {
            return 0;
        }
        double mean = values.Average();
        double squares = values.Sum(v => v * v);
        double n = values.Count;
        return Math.Sqrt(Math.Max(0, squares / (n - 1) - mean * mean * n / (n - 1)));
    }

    public void Dispose() => _model.Dispose();

    private ThroughputResult Measure(int promptTokens, int generateTokens, int threads, IProgress<ThroughputProgress>? progress, CancellationToken cancellation)
    {
        string test = promptTokens > 0 ? $"pp{promptTokens}" : $"tg{generateTokens}";
        int repetitions = _options.Repetitions;
        progress?.Report(new ThroughputProgress(test, threads, 0, repetitions));
        double[] samples = Samples(_model, promptTokens, generateTokens, repetitions, threads, _options.BatchSize, _options.Warmup,
            done => progress?.Report(new ThroughputProgress(test, threads, done, repetitions)), cancellation);
        return new ThroughputResult
        {
            Model = _info.FileName,
            Type = _type,
            SizeBytes = _info.TensorBytes,
            Parameters = _info.ParameterCount,
            Threads = threads,
            Test = test,
            TokensPerSecond = samples.Average(),
            StandardDeviation = StandardDeviation(samples),
            Samples = new ThroughputSamples(samples),
            PromptTokens = promptTokens,
            GeneratedTokens = generateTokens,
            Path = _info.Path,
        };
    }

    private static void Prompt(InferenceContext context, int count, int batchSize, int bos, Random random, float[] logits, CancellationToken cancellation)
    {
        var batch = new int[Math.Min(count, Math.Max(1, batchSize))];
        for (int done = 0; done < count; done += batch.Length)
        {
            int n = Math.Min(batch.Length, count - done);
            for (int i = 0; i < n; i++)
            {
                batch[i] = done == 0 && i == 0 && bos >= 0 ? bos : random.Next(logits.Length);
            }
            context.Evaluate(batch.AsSpan(0, n), n - 1, logits, cancellation);
        }
    }

    private static void Generate(InferenceContext context, int count, int bos, Random random, float[] logits, CancellationToken cancellation)
    {
        int token = bos >= 0 ? bos : random.Next(logits.Length);
        for (int i = 0; i < count; i++)
        {
            context.Evaluate([token], 0, logits, cancellation);
            token = random.Next(logits.Length);
        }
    }
}
