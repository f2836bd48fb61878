namespace GgufPs.Generation;

/// <summary>
/// What generation needs of a model's running context: evaluate tokens after those cached and give the logits of
/// the positions asked for. The engine's <see cref="Inference.InferenceContext"/> in use; llama.cpp's context in
/// the tests, which run the whole generator on llama.cpp's logits.
/// </summary>
internal interface ITokenEvaluator
{
    /// <summary>How many positions the cache holds.</summary>
    int Position { get; }

    int ContextLength { get; }

    /// <summary>Evaluates <paramref name="tokens"/> at Position.. and writes the logits of tokens [firstOutput, n).</summary>
    void Evaluate(ReadOnlySpan<int> tokens, int firstOutput, Span<float> logits, CancellationToken cancellation);
}
