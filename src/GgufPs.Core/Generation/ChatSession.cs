using System.Diagnostics;
using GgufPs.Inference;

namespace GgufPs.Generation;

/// <summary>
/// A conversation with a model, turn by turn, as llama-server serves a chat: each turn formats the whole
/// conversation with the chat template and evaluates only the tokens past the longest prefix already in the KV
/// cache, so earlier turns are not evaluated again. One sampler serves the whole conversation, as in llama-cli: it
/// accepts every token that enters the conversation (prompt and answers) for the repetition penalties, and its random
/// stream goes on from turn to turn.
/// </summary>
public sealed class ChatSession : IDisposable
{
    private readonly TransformerModel _model;
    private readonly ChatTemplate _template;
    private readonly GenerationOptions _options;
    private readonly InferenceContext _context;
    private readonly SamplerChain _sampler;
    private readonly List<ChatMessage> _messages = [];
    private readonly float[] _logits;
    private List<int> _cached = [];
    private List<int> _accepted = [];

    /// <param name="model">The model, which must outlive the session.</param>
    /// <param name="template">The chat template that formats the conversation.</param>
    /// <param name="options">Sampling, stop strings, the token limit of each answer (-1: until the end of generation) and the context.</param>
    /// <param name="systemPrompt">The system message that opens the conversation, or null.</param>
    /// <param name="warning">Called with conditions llama.cpp only warns about.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public ChatSession(TransformerModel model, ChatTemplate template, GenerationOptions options, string? systemPrompt = null, Action<string>? warning = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _template = template ?? throw new ArgumentNullException(nameof(template));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        TextGenerator.ValidateOptions(options);
        _sampler = SamplerChain.Create(options.Sampling, model.VocabularySize);
        if (!string.IsNullOrEmpty(systemPrompt))
        {
            _messages.Add(new ChatMessage("system", systemPrompt));
        }
        int contextLength = options.Context ?? TextGenerator.DefaultContext(model);
        TextGenerator.WarnBeyondTraining(model, contextLength, warning);
        _context = new InferenceContext(model, contextLength, options.BatchSize, options.Threads);
        _logits = new float[model.VocabularySize];
    }

    /// <summary>The conversation so far: the system message, then each user message and answer.</summary>
    public IReadOnlyList<ChatMessage> Messages => _messages;

    public string TemplateName => _template.Name;

    public int ContextLength => _context.ContextLength;

    /// <summary>Tokens of the conversation in the KV cache.</summary>
    public int CachedTokenCount => _cached.Count;

    /// <summary>The seed of the sampler (the one drawn when none was given).</summary>
    public uint Seed => _sampler.Seed;

    /// <summary>
    /// Adds the user's message and generates the answer, handing each piece of text to <paramref name="onText"/> as
    /// it is decided. The answer joins the conversation, also when cancelled (with what was generated until then).
    /// </summary>
    /// <exception cref="InvalidOperationException">The conversation no longer fits the context.</exception>
    public GenerationResult Respond(string userMessage, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(userMessage);
        var clock = Stopwatch.StartNew();
        _messages.Add(new ChatMessage("user", userMessage));
        string prompt = _template.Apply(_messages, addAssistant: true);
        int[] tokens = TextGenerator.TokenizePrompt(_model.Tokenizer, prompt);
        if (tokens.Length > _context.ContextLength)
        {
            _messages.RemoveAt(_messages.Count - 1);
            throw new InvalidOperationException(
                $"The conversation has grown to {tokens.Length} tokens, more than the context of {_context.ContextLength} holds. Start a new chat, with a larger context.");
        }

        // The cache keeps the longest prefix it shares with the prompt; the last prompt token is always evaluated
        // again for its logits. The context can only be emptied, not shortened, so a cache that is more than a
        // prefix of the prompt starts over.
        int reused = Math.Min(CommonPrefix(_cached, tokens), tokens.Length - 1);
        if (reused < _cached.Count)
        {
            _context.Clear();
            _cached = [];
            reused = 0;
        }
        foreach (int token in tokens.AsSpan(CommonPrefix(_accepted, tokens)))
        {
            _sampler.Accept(token);
        }
        _accepted = [.. tokens];

        var promptClock = Stopwatch.StartNew();
        double promptRate = 0;
        Continuation? continuation = null;
        try
        {
            _context.Evaluate(tokens.AsSpan(reused), tokens.Length - 1 - reused, _logits, cancellation);
            promptRate = (tokens.Length - reused) / Math.Max(promptClock.Elapsed.TotalSeconds, 1e-9);
            continuation = Continuation.Run(new InferenceContextEvaluator(_context), _model.Tokenizer, _sampler, _options, _logits, onText, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        finally
        {
            // Whatever was evaluated, completely, stays in the cache.
            var inCache = tokens.Concat(continuation?.Tokens.Take(continuation.Evaluated) ?? []).Take(_context.Position);
            _cached = [.. inCache];
        }
        _accepted.AddRange(continuation?.Tokens ?? []);
        string answer = continuation?.Text ?? "";
        _messages.Add(new ChatMessage("assistant", answer));
        return new GenerationResult
        {
            Model = System.IO.Path.GetFileName(_model.Path),
            Path = _model.Path,
            Prompt = prompt,
            Text = answer,
            Tokens = continuation?.Tokens.ToArray() ?? [],
            PromptTokenCount = tokens.Length,
            CachedPromptTokenCount = reused,
            StopReason = continuation?.Reason ?? StopReason.Cancelled,
            StopString = continuation?.StopString,
            Seed = _sampler.Seed,
            PromptTokensPerSecond = promptRate,
            TokensPerSecond = continuation?.TokensPerSecond ?? 0,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    public void Dispose() => _context.Dispose();

    private static int CommonPrefix(List<int> a, int[] b)
    {
        int n = Math.Min(a.Count, b.Length);
        int i = 0;
        while (i < n && a[i] == b[i])
        {
            i++;
        }
        return i;
    }
}
