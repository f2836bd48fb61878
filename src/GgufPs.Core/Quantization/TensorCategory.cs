namespace GgufPs.Quantization;

/// <summary>llama.cpp's tensor_category: the broad role of a tensor, from its name, that the type-mix policy keys on.</summary>
internal enum TensorCategory
{
    TokenEmbedding,
    AttentionQ,
    AttentionV,
    AttentionK,
    AttentionQkv,
    AttentionKvB,
    AttentionOutput,
    FeedForwardUp,
    FeedForwardGate,
    FeedForwardDown,
    Output,
    Other,
}
