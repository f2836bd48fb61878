using System.Diagnostics;
using GgufPs.Inference;

namespace GgufPs.Generation;

/// <summary>
/// llama-cli's completion of a prompt: the prompt tokenized with BOS as the vocabulary asks and control tokens
/// parsed, every prompt token accepted into the sampler (for the repetition penalties), the prompt evaluated in
/// batches, then one token at a time until an end-of-generation token, the token limit, a stop string, a full
/// context or a cancellation.
/// </summary>
public sealed class TextGenerator
{
    private readonly TransformerModel _model;
    private readonly GenerationOptions _options;

    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public TextGenerator(TransformerModel model, GenerationOptions options)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ValidateOptions(options);
    }

    /// <summary>Called with conditions llama.cpp only warns about (a context beyond the training context).</summary>
    public Action<string>? Warning { get; set; }

    /// <summary>
    /// Generates the continuation of <paramref name="prompt"/>, handing each piece of text to <paramref name="onText"/>
    /// as it is decided. A cancellation returns what was generated, with <see cref="StopReason.Cancelled"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt does not fit the context, or is empty and the model has no BOS.</exception>
    public GenerationResult Generate(string prompt, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        InferenceContext? context = null;
        try
        {
            return Generate(prompt, contextLength =>
            {
                context = new InferenceContext(_model, contextLength, _options.BatchSize, _options.Threads);
                return new InferenceContextEvaluator(context);
            }, onText, cancellation);
        }
        finally
        {
            context?.Dispose();
        }
    }

    /// <summary>The generation, with the context made by <paramref name="createContext"/> for the number of positions needed.</summary>
    internal GenerationResult Generate(string prompt, Func<int, ITokenEvaluator> createContext, Action<string>? onText, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var tokenizer = _model.Tokenizer;
        int[] promptTokens = TokenizePrompt(tokenizer, prompt);
        int contextLength = ContextFor(promptTokens.Length);
        var sampler = SamplerChain.Create(_options.Sampling, _model.VocabularySize);
        foreach (int token in promptTokens)
        {
            sampler.Accept(token);
        }

        var context = createContext(contextLength);
        var logits = new float[_model.VocabularySize];
        var promptClock = Stopwatch.StartNew();
        try
        {
            context.Evaluate(promptTokens, promptTokens.Length - 1, logits, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return Result(prompt, promptTokens.Length, sampler.Seed, [], "", StopReason.Cancelled, null, 0, 0, clock);
        }
        double promptRate = promptTokens.Length / Math.Max(promptClock.Elapsed.TotalSeconds, 1e-9);
        var continuation = Continuation.Run(context, tokenizer, sampler, _options, logits, onText, cancellation);
        return Result(prompt, promptTokens.Length, sampler.Seed, continuation.Tokens.ToArray(), continuation.Text, continuation.Reason,
            continuation.StopString, promptRate, continuation.TokensPerSecond, clock);
    }

    /// <summary>The prompt as llama-cli tokenizes it: BOS per the vocabulary, control tokens parsed; BOS alone when empty.</summary>
    internal static int[] TokenizePrompt(Tokenization.Tokenizer tokenizer, string prompt)
    {
        int[] tokens = tokenizer.Tokenize(prompt, addSpecial: true, parseSpecial: true);
        if (tokens.Length > 0)
        {
            return tokens;
        }
        return tokenizer.BosId >= 0 ? [tokenizer.BosId]
            : throw new ArgumentException("The prompt is empty, and the model has no BOS token to start from.", nameof(prompt));
    }

    internal static void ValidateOptions(GenerationOptions options)
    {
        if (options.MaxTokens < -1)
        {
            throw new ArgumentException($"MaxTokens must be -1 (no limit) or more, not {options.MaxTokens}.", nameof(options));
        }
        if (options.Context is < 1)
        {
            throw new ArgumentException($"The context must hold at least one position, not {options.Context}.", nameof(options));
        }
        if (options.StopStrings.Any(s => s is null))
        {
            throw new ArgumentException("A stop string is null.", nameof(options));
        }
    }

    /// <summary>The context the model was trained with, or llama-cli's default when it is larger or unknown.</summary>
    internal static int DefaultContext(TransformerModel model) =>
        model.Config.ContextLength > 0 ? Math.Min(model.Config.ContextLength, GenerationOptions.DefaultContextCap) : GenerationOptions.DefaultContextCap;

    internal static void WarnBeyondTraining(TransformerModel model, int context, Action<string>? warning)
    {
        if (model.Config.ContextLength > 0 && context > model.Config.ContextLength)
        {
            warning?.Invoke($"The context of {context} tokens is larger than the {model.Config.ContextLength} the model was trained on; the output may degrade.");
        }
    }

    private int ContextFor(int promptLength)
    {
        int context;
        if (_options.Context is { } given)
        {
            context = given;
        }
        else
        {
            long wanted = _options.MaxTokens >= 0 ? (long)promptLength + _options.MaxTokens : long.MaxValue;
            context = (int)Math.Min(wanted, Math.Max(DefaultContext(_model), promptLength));
        }
        if (promptLength > context)
        {
            throw new ArgumentException($"The prompt has {promptLength} tokens; the context of {context} cannot hold them. Give a larger context.");
        }
        WarnBeyondTraining(_model, context, Warning);
        return context;
    }

    private GenerationResult Result(string prompt, int promptTokens, uint seed, int[] tokens, string text, StopReason reason, string? stop,
        double promptRate, double rate, Stopwatch clock) => new()
    {
        Model = System.IO.Path.GetFileName(_model.Path),
        Path = _model.Path,
        Prompt = prompt,
        Text = text,
        Tokens = tokens,
        PromptTokenCount = promptTokens,
        StopReason = reason,
        StopString = stop,
        Seed = seed,
        PromptTokensPerSecond = promptRate,
        TokensPerSecond = rate,
        Seconds = clock.Elapsed.TotalSeconds,
    };
}
