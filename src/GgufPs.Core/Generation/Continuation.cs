using System.Diagnostics;
using GgufPs.Tokenization;

namespace GgufPs.Generation;

/// <summary>
/// The generation loop of llama-cli after its prompt: sample from the last logits, accept the token into the
/// sampler, stop at an end-of-generation token (unless EOS is ignored), print the token's piece, stop at a stop
/// string or after the last token asked for, else evaluate the token and go on. The last token sampled is never
/// evaluated: nothing needs its logits.
/// </summary>
internal sealed class Continuation
{
    private Continuation(List<int> tokens, string text, StopReason reason, string? stopString, int evaluated, double seconds)
    {
        Tokens = tokens;
        Text = text;
        Reason = reason;
        StopString = stopString;
        Evaluated = evaluated;
        Seconds = seconds;
    }

    /// <summary>The generated tokens, without the end-of-generation token.</summary>
    public List<int> Tokens { get; }

    public string Text { get; }

    public StopReason Reason { get; }

    public string? StopString { get; }

    /// <summary>How many of <see cref="Tokens"/> (from the first) are in the KV cache.</summary>
    public int Evaluated { get; }

    public double Seconds { get; }

    public double TokensPerSecond => Seconds > 0 ? Tokens.Count / Seconds : 0;

    /// <summary>
    /// Generates after the prompt, whose last logits are in <paramref name="logits"/> (one row). Pieces of text go to
    /// <paramref name="onText"/> as they are decided (never part of a UTF-8 character or of a possible stop string).
    /// A cancellation ends the loop with <see cref="StopReason.Cancelled"/>.
    /// </summary>
    public static Continuation Run(ITokenEvaluator context, Tokenizer tokenizer, SamplerChain sampler, GenerationOptions options,
        float[] logits, Action<string>? onText, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var decoder = new TokenTextDecoder(tokenizer);
        var matcher = new StopStringMatcher(options.StopStrings);
        int[] endOfGeneration = options.IgnoreEos
            ? Enumerable.Range(0, tokenizer.VocabularySize).Where(tokenizer.IsEndOfGeneration).ToArray()
            : [];
        var tokens = new List<int>();
        int evaluated = 0;
        StopReason reason;
        while (true)
        {
            if (cancellation.IsCancellationRequested)
            {
                reason = StopReason.Cancelled;
                break;
            }
            if (options.MaxTokens >= 0 && tokens.Count >= options.MaxTokens)
            {
                reason = StopReason.MaxTokens;
                break;
            }
            if (tokens.Count > evaluated)
            {
                if (context.Position >= context.ContextLength)
                {
                    reason = StopReason.ContextFull;
                    break;
                }
                try
                {
                    context.Evaluate([tokens[^1]], 0, logits, cancellation);
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    reason = StopReason.Cancelled;
                    break;
                }
                evaluated++;
            }
            // --ignore-eos is a logit bias of -inf on every end-of-generation token, the first step of the chain.
            foreach (int id in endOfGeneration)
            {
                logits[id] = float.NegativeInfinity;
            }
            int token = sampler.Sample(logits);
            sampler.Accept(token);
            if (!options.IgnoreEos && tokenizer.IsEndOfGeneration(token))
            {
                reason = StopReason.EndOfGeneration;
                break;
            }
            tokens.Add(token);
            Show(matcher.Append(decoder.Append(token)), onText);
            if (matcher.Found is not null)
            {
                reason = StopReason.Stop;
                break;
            }
        }
        if (matcher.Found is null)
        {
            Show(matcher.Append(decoder.Flush()), onText);
        }
        if (matcher.Found is null)
        {
            Show(matcher.Flush(), onText);
        }
        else
        {
            reason = StopReason.Stop;
        }
        return new Continuation(tokens, matcher.Text, reason, matcher.Found, evaluated, clock.Elapsed.TotalSeconds);
    }

    private static void Show(string text, Action<string>? onText)
    {
        if (text.Length > 0)
        {
            onText?.Invoke(text);
        }
    }
}
