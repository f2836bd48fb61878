namespace GgufPs.Conversion;

/// <summary>
/// The scale a quantized checkpoint stores beside a weight (fp8's weight_scale_inv, compressed-tensors' and
/// ModelOpt's weight_scale): the weight is dequantized as weight.float() * scale, the scale repeated over
/// <see cref="BlockSize"/> blocks when there is one and otherwise broadcast along the trailing dimensions.
/// </summary>
internal sealed record WeightScale(TensorSource Scale, string ScaleName, long[]? BlockSize);
