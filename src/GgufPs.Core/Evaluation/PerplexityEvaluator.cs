using System.Diagnostics;
using GgufPs.Inference;

namespace GgufPs.Evaluation;

/// <summary>
/// Perplexity exactly as llama-perplexity computes it: the whole text is tokenized (BOS added if the model adds
/// one), cut into chunks of n_ctx tokens whose first token is replaced by BOS, and only the second half of each
/// chunk is scored. Optionally also the KL divergence against a reference model evaluated on the same chunks in the
/// same pass, against a llama.cpp logits file, or writing such a file.
/// </summary>
public sealed class PerplexityEvaluator
{
    private readonly TransformerModel _model;
    private readonly PerplexityOptions _options;

    public PerplexityEvaluator(TransformerModel model, PerplexityOptions options)
    {
        _model = model;
        _options = options;
        if (options.Context < 4)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"The context must be at least 4 tokens; {options.Context} was given.");
        }
        if (options.Chunks is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The number of chunks must be positive.");
        }
        if (model.Tokenizer.AddsEos)
        {
            throw new NotSupportedException("The model's tokenizer adds EOS to every text, which llama-perplexity does not support either.");
        }
    }

    /// <summary>A model to compare against, evaluated on the same chunks in the same pass.</summary>
    public TransformerModel? ReferenceModel { get; init; }

    /// <summary>Writes llama.cpp's --kl-divergence-base file of this model's log-probabilities.</summary>
    public string? SaveLogitsPath { get; init; }

    /// <summary>Compares against a llama.cpp --kl-divergence-base file; its tokens are evaluated and the text is ignored.</summary>
    public string? ReferenceLogitsPath { get; init; }

    /// <summary>Times each stage of every chunk when set (the benchmark's profile).</summary>
    internal InferenceProfile? Profile { get; init; }

    /// <summary>Called for conditions llama.cpp only warns about (a context beyond the training context, ...).</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>Measures the perplexity of UTF-8 <paramref name="text"/>. Stopping through <paramref name="cancellation"/>
    /// returns the chunks finished so far (Completed = false), or throws if none was.</summary>
    public PerplexityResult Measure(ReadOnlySpan<byte> text, IProgress<PerplexityProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (ReferenceLogitsPath is not null)
        {
            return MeasureAgainstLogitsFile(progress, cancellation);
        }
        if (text.IsEmpty)
        {
            throw new ArgumentException("The text is empty.");
        }
        int context = _options.Context;
        CheckContext(context);
        int[] tokens = _model.Tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
        if (tokens.Length < 2 * context)
        {
            throw new ArgumentException($"The text tokenizes to only {tokens.Length} tokens; a context of {context} needs at least {2 * context}.");
        }
        if (ReferenceModel is { } reference)
        {
            if (reference.VocabularySize != _model.VocabularySize)
            {
                throw new InvalidDataException($"The reference model has {reference.VocabularySize} tokens and the model {_model.VocabularySize}; they cannot be compared.");
            }
        }
        int chunks = Math.Min(_options.Chunks ?? int.MaxValue, tokens.Length / context);

        FileStream? save = null;
        string? temporary = null;
        if (SaveLogitsPath is not null)
        {
            temporary = SaveLogitsPath + ".tmp-" + Environment.ProcessId;
            save = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            LogitsFile.WriteHeader(save, context, _model.VocabularySize, chunks, tokens);
        }
        try
        {
            var result = Run(tokens, context, chunks, ReferenceModel, null, save, progress, cancellation);
            if (save is not null)
            {
                save.Dispose();
                save = null;
                if (result.Completed)
                {
                    File.Move(temporary!, SaveLogitsPath!, overwrite: true);
                    temporary = null;
                }
                else
                {
                    Warning?.Invoke($"The logits file '{SaveLogitsPath}' was not written because the measurement was stopped.");
                }
            }
            return result;
        }
        finally
        {
            try
            {
                save?.Dispose();
            }
            catch (IOException) when (temporary is not null)
            {
                // Flushing an abandoned file failed (a full disk): it is deleted below all the same.
            }
            if (temporary is not null && File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private PerplexityResult MeasureAgainstLogitsFile(IProgress<PerplexityProgress>? progress, CancellationToken cancellation)
    {
        using var stream = new FileStream(ReferenceLogitsPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var header = LogitsFile.ReadHeader(stream, ReferenceLogitsPath!);
        if (header.Vocabulary != _model.VocabularySize)
        {
            throw new InvalidDataException($"'{ReferenceLogitsPath}' was computed with a vocabulary of {header.Vocabulary}; the model has {_model.VocabularySize}.");
        }
        foreach (int token in header.Tokens)
        {
            if ((uint)token >= (uint)_model.VocabularySize)
            {
                throw new InvalidDataException($"'{ReferenceLogitsPath}' holds token {token}, outside the vocabulary.");
            }
        }
        CheckContext(header.Context);
        int chunks = Math.Min(_options.Chunks ?? int.MaxValue, header.Chunks);
        return Run(header.Tokens, header.Context, chunks, null, stream, null, progress, cancellation);
    }

    private void CheckContext(int context)
    {
        if (context > _model.Config.ContextLength)
        {
            Warning?.Invoke($"The model was trained on only {_model.Config.ContextLength} context tokens ({context} specified).");
        }
    }

    private PerplexityResult Run(int[] tokens, int context, int chunks, TransformerModel? reference, Stream? referenceLogits,
        Stream? save, IProgress<PerplexityProgress>? progress, CancellationToken cancellation)
    {
        int vocabulary = _model.VocabularySize;
        int first = context / 2;
        int scored = context - 1 - first;
        int outputs = context - first;
        int batch = Math.Min(_options.BatchSize, context);
        bool addBos = _model.Tokenizer.AddsBos;
        int bos = _model.Tokenizer.BosId;
        int threads = Math.Max(1, _options.Threads);

        using var inference = new InferenceContext(_model, context, batch, threads) { Profile = Profile };
        using var referenceInference = reference is null ? null : new InferenceContext(reference, context, batch, threads);
        var logits = new float[(long)outputs * vocabulary];
        var referenceLogitsBuffer = reference is null ? null : new float[(long)outputs * vocabulary];
        int rowLength = TokenLogProbabilities.QuantizedRowLength(vocabulary);
        var quantizedRows = referenceLogits is null && save is null ? null : new ushort[scored * rowLength];
        var accumulator = reference is not null || referenceLogits is not null ? new KlDivergenceAccumulator() : null;

        double nll = 0, nll2 = 0;
        long count = 0;
        var running = new List<double>();
        var clock = Stopwatch.StartNew();
        bool completed = true;
        var chunkTokens = new int[context];

        for (int chunk = 0; chunk < chunks; chunk++)
        {
            try
            {
                cancellation.ThrowIfCancellationRequested();
                Array.Copy(tokens, chunk * context, chunkTokens, 0, context);
                if (addBos)
                {
                    chunkTokens[0] = bos;
                }
                Profile?.BeginChunk();
                inference.Clear();
                inference.Evaluate(chunkTokens, first, logits, cancellation);
                if (referenceInference is not null)
                {
                    referenceInference.Clear();
                    referenceInference.Evaluate(chunkTokens, first, referenceLogitsBuffer, cancellation);
                }
                if (referenceLogits is not null)
                {
                    LogitsFile.ReadRows(referenceLogits, quantizedRows, ReferenceLogitsPath!);
                }
            }
            catch (OperationCanceledException) when (chunk > 0)
            {
                completed = false;
                break;
            }

            // Position first + j predicts the token at first + j + 1 (of the original text, not the BOS).
            var scoring = Profile?.Start() ?? default;
            int start = chunk * context;
            var partial = new (double Nll, double Nll2)[scored];
            Parallel.For(0, scored, new ParallelOptions { MaxDegreeOfParallelism = threads }, j =>
            {
                var row = logits.AsSpan(j * vocabulary, vocabulary);
                int next = tokens[start + first + j + 1];
                double v;
                if (save is not null)
                {
                    v = TokenLogProbabilities.Quantize(row, quantizedRows!.AsSpan(j * rowLength, rowLength), next);
                }
                else
                {
                    v = TokenLogProbabilities.NegativeLogLikelihood(row, next);
                }
                if (referenceLogitsBuffer is not null)
                {
                    accumulator!.Add(row, referenceLogitsBuffer.AsSpan(j * vocabulary, vocabulary), next);
                }
                else if (referenceLogits is not null)
                {
                    accumulator!.Add(row, quantizedRows!.AsSpan(j * rowLength, rowLength), next);
                }
                partial[j] = (v, v * v);
            });
            foreach (var (v, v2) in partial)
            {
                nll += v;
                nll2 += v2;
            }
            if (save is not null)
            {
                LogitsFile.WriteRows(save, quantizedRows);
            }
            Profile?.Add(InferenceProfile.Scoring, scoring);
            Profile?.EndChunk();
            count += scored;
            running.Add(Math.Exp(nll / count));
            progress?.Report(new PerplexityProgress(chunk + 1, chunks, running[^1], clock.Elapsed));
        }
        clock.Stop();

        if (running.Count < chunks)
        {
            completed = false;
        }
        double mean = nll / count;
        double ppl = Math.Exp(mean);
        double variance = nll2 / count - mean * mean;
        double error = variance > 0 && count > 1 ? Math.Sqrt(variance / (count - 1)) * ppl : 0;
        double seconds = clock.Elapsed.TotalSeconds;
        return new PerplexityResult
        {
            Model = _model.Path,
            Perplexity = ppl,
            StandardError = error,
            Context = context,
            Chunks = running.Count,
            TokensScored = count,
            TokensInText = tokens.Length,
            Seconds = seconds,
            TokensPerSecond = seconds > 0 ? (double)running.Count * context / seconds : 0,
            ChunkPerplexities = running.ToArray(),
            Completed = completed,
            KlDivergence = accumulator?.ToResult(reference?.Path ?? ReferenceLogitsPath!),
        };
    }
}
