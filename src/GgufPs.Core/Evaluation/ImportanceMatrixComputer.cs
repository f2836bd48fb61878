using System.Diagnostics;
using GgufPs.Inference;

namespace GgufPs.Evaluation;

/// <summary>
/// llama-imatrix's compute_imatrix: the text is tokenized and cut into chunks exactly as for perplexity (first token
/// of each chunk replaced by BOS), every chunk is evaluated with outputs at all positions so that every weight
/// product sees every token, and the inputs of the block weights go into an <see cref="ImportanceMatrixAccumulator"/>.
/// The perplexity of the second halves comes alongside, as llama-imatrix prints it.
/// </summary>
public sealed class ImportanceMatrixComputer
{
    private readonly TransformerModel _model;
    private readonly ImportanceMatrixOptions _options;

    public ImportanceMatrixComputer(TransformerModel model, ImportanceMatrixOptions options)
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
        if (options.SkipChunks < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The number of chunks to skip cannot be negative.");
        }
        if (model.Tokenizer.AddsEos)
        {
            throw new NotSupportedException("The model's tokenizer adds EOS to every text, which llama-imatrix does not support either.");
        }
    }

    /// <summary>Called for conditions llama.cpp only warns about (a context beyond the training context).</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>
    /// Evaluates UTF-8 <paramref name="text"/> chunk by chunk, adding each chunk's activations to
    /// <paramref name="matrix"/>. Stopping through <paramref name="cancellation"/> undoes the unfinished chunk and
    /// returns what the finished ones measured (Completed = false), or throws if none was finished. The perplexity
    /// fields are NaN when it is not computed.
    /// </summary>
    /// <exception cref="ArgumentException">The text is too short for the context.</exception>
    public PerplexityResult Compute(ReadOnlySpan<byte> text, ImportanceMatrixAccumulator matrix,
        IProgress<PerplexityProgress>? progress = null, CancellationToken cancellation = default)
    {
        int context = _options.Context;
        if (text.IsEmpty)
        {
            throw new ArgumentException("The text is empty.");
        }
        if (context > _model.Config.ContextLength)
        {
            Warning?.Invoke($"The model was trained on only {_model.Config.ContextLength} context tokens ({context} specified).");
        }
        int[] tokens = _model.Tokenizer.Tokenize(text, addSpecial: true, parseSpecial: _options.ParseSpecial);
        int tokensInText = tokens.Length;
        if (_options.SkipChunks > 0)
        {
            if ((long)(_options.SkipChunks + 2) * context >= tokens.Length)
            {
                throw new ArgumentException($"The text tokenizes to {tokens.Length} tokens: not enough are left after skipping {_options.SkipChunks} chunks of {context}.");
            }
            tokens = tokens[(_options.SkipChunks * context)..];
        }
        if (tokens.Length < 2 * context)
        {
            throw new ArgumentException($"The text tokenizes to only {tokens.Length} tokens; a context of {context} needs at least {2 * context}, as llama-imatrix requires.");
        }
        int chunks = Math.Min(_options.Chunks ?? int.MaxValue, tokens.Length / context);
        return Run(tokens, tokensInText, context, chunks, matrix, progress, cancellation);
    }

    private PerplexityResult Run(int[] tokens, int tokensInText, int context, int chunks, ImportanceMatrixAccumulator matrix,
        IProgress<PerplexityProgress>? progress, CancellationToken cancellation)
    {
        int vocabulary = _model.VocabularySize;
        int first = context / 2;
        int scored = context - 1 - first;
        int threads = Math.Max(1, _options.Threads);
        bool perplexity = _options.ComputePerplexity;
        int batch = Math.Clamp(_options.BatchSize, 1, context);
        using var inference = new InferenceContext(_model, context, batch, threads)
        {
            WeightInputObserver = matrix,
        };
        // Logits of one batch at a time: the scored ones are used as they come, so memory does not grow with the context.
        var logits = new float[(long)batch * vocabulary];
        var chunkTokens = new int[context];
        var partial = new double[scored];
        double nll = 0, nll2 = 0;
        long count = 0;
        var running = new List<double>();
        var clock = Stopwatch.StartNew();
        int done = 0;

        for (int chunk = 0; chunk < chunks; chunk++)
        {
            var checkpoint = matrix.Checkpoint();
            try
            {
                cancellation.ThrowIfCancellationRequested();
                Array.Copy(tokens, chunk * context, chunkTokens, 0, context);
                if (_model.Tokenizer.AddsBos)
                {
                    chunkTokens[0] = _model.Tokenizer.BosId;
                }
                inference.Clear();
                for (int from = 0; from < context; from += batch)
                {
                    int size = Math.Min(batch, context - from);
                    // Outputs at every position, as llama-imatrix asks: the last layer then runs on all tokens.
                    inference.Evaluate(chunkTokens.AsSpan(from, size), 0, logits, cancellation);
                    if (perplexity)
                    {
                        // Position p predicts token p + 1 of the text; positions first .. context-2 are scored.
                        int lo = Math.Max(from, first), hi = Math.Max(lo, Math.Min(from + size, context - 1));
                        int start = chunk * context;
                        Parallel.For(lo, hi, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
                            partial[p - first] = TokenLogProbabilities.NegativeLogLikelihood(
                                logits.AsSpan((p - from) * vocabulary, vocabulary), tokens[start + p + 1]));
                    }
                }
            }
            catch (OperationCanceledException) when (chunk > 0)
            {
                matrix.Restore(checkpoint);
                break;
            }
            catch
            {
                matrix.Restore(checkpoint);
                throw;
            }
            done++;
            if (perplexity)
            {
                foreach (double v in partial)
                {
                    nll += v;
                    nll2 += v * v;
                }
                count += scored;
                running.Add(Math.Exp(nll / count));
            }
            progress?.Report(new PerplexityProgress(done, chunks, perplexity ? running[^1] : double.NaN, clock.Elapsed));
        }
        clock.Stop();

        double ppl = double.NaN, error = double.NaN;
        if (perplexity && count > 0)
        {
            double mean = nll / count;
            ppl = Math.Exp(mean);
            double variance = nll2 / count - mean * mean;
            error = variance > 0 && count > 1 ? Math.Sqrt(variance / (count - 1)) * ppl : 0;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new PerplexityResult
        {
            Model = _model.Path,
            Perplexity = ppl,
            StandardError = error,
            Context = context,
            Chunks = done,
            TokensScored = count,
            TokensInText = tokensInText,
            Seconds = seconds,
            TokensPerSecond = seconds > 0 ? (double)done * context / seconds : 0,
            ChunkPerplexities = running.ToArray(),
            Completed = done == chunks,
        };
    }
}
