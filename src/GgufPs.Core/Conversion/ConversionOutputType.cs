namespace GgufPs.Conversion;

/// <summary>The tensor type of a converted model (convert_hf_to_gguf's --outtype); 1-D tensors and norms stay F32.</summary>
public enum ConversionOutputType
{
    /// <summary>Half precision, the converter's default.</summary>
    F16,
    F32,
    BF16,
    Q8_0,
    /// <summary>The type of the source weights: F16 for F16, BF16 for BF16, F32 for F32.</summary>
    Auto,
}
