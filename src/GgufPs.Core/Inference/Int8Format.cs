namespace GgufPs.Inference;

/// <summary>How a quantized type maps onto the int8 kernels (see <see cref="QuantizedPanel"/>).</summary>
internal sealed record Int8Format(GgmlType Type, int BlockSize, int BlockBytes, int GroupSize, bool KQuant, bool SeparateMinimum, int Bias)
{
    public static Int8Format? For(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => new(type, 32, 34, 32, false, false, 128),
        GgmlType.Q4_0 => new(type, 32, 18, 32, false, false, 8),
        GgmlType.Q5_0 => new(type, 32, 22, 32, false, false, 16),
        GgmlType.Q4_1 => new(type, 32, 20, 32, false, true, 0),
        GgmlType.Q5_1 => new(type, 32, 24, 32, false, true, 0),
        GgmlType.IQ4_NL => new(type, 32, 18, 32, false, false, 128),
        GgmlType.IQ4_XS => new(type, 256, 136, 32, true, false, 0),
        GgmlType.Q4_K => new(type, 256, 144, 32, true, true, 0),
        GgmlType.Q5_K => new(type, 256, 176, 32, true, true, 0),
        GgmlType.Q6_K => new(type, 256, 210, 16, true, false, 0),
        GgmlType.Q3_K => new(type, 256, 110, 16, true, false, 0),
        GgmlType.Q2_K => new(type, 256, 84, 16, true, true, 0),
        _ => null,
    };
}
