namespace GgufPs.Inference;

/// <summary>
/// The form ggml's CPU backend gives activations before a dot product with a weight type (its vec_dot_type):
/// F16 weights see F16-rounded activations, Q8_0 weights Q8_0-quantized ones, K-quants Q8_K ones. Reproducing this
/// rounding is what makes our logits match llama.cpp's to float precision.
/// </summary>
internal enum ActivationFormat
{
    F32,
    F16,
    BF16,
    Q8_0,
    Q8_1,
    Q8_K,
}
