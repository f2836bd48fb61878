using GgufPs.Inference;

namespace GgufPs.Generation;

/// <summary>The engine's context as the <see cref="ITokenEvaluator"/> of a generation.</summary>
internal sealed class InferenceContextEvaluator(InferenceContext context) : ITokenEvaluator
{
    public int Position => context.Position;

    public int ContextLength => context.ContextLength;

    public void Evaluate(ReadOnlySpan<int> tokens, int firstOutput, Span<float> logits, CancellationToken cancellation) =>
        context.Evaluate(tokens, firstOutput, logits, cancellation);
}
