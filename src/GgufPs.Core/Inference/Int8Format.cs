namespace GgufPs.Inference;

/// <summary>
/// How a quantized type maps onto the int8 kernels (see <see cref="QuantizedPanel"/>): its blocks, the group of
/// weights that shares an integer scale, whether it is a K-quant (Q8_K activations), whether it has a separate
/// minimum, the bias of its unsigned values (taken off each block's, or each K-quant group's, integer dot product as
/// bias times the activations' sum), and the largest unsigned value a weight can take.
/// </summary>
internal sealed record Int8Format(GgmlType Type, int BlockSize, int BlockBytes, int GroupSize, bool KQuant, bool SeparateMinimum, int Bias, int MaxWeight)
{
    /// <summary>
    /// Weights stored as a signed byte plus 128 (Q8_0, IQ4_NL, IQ4_XS): pmaddubsw would saturate on them, so the
    /// kernels without vpdpbusd multiply the signed bytes (with llama.cpp's sign trick on x64) and add 128 times the
    /// activation sum back, which gives the same integers.
    /// </summary>
    public bool ByteWeights => MaxWeight > 127;

    /// <summary>
    /// How many 4-column steps of pmaddubsw pair sums (each at most 2·MaxWeight·127) an int16 accumulator takes
    /// before it must widen to int32; one for byte weights, whose pairs reach 2·128·127.
    /// </summary>
    public int Int16Steps => ByteWeights ? 1 : Math.Max(1, short.MaxValue / (2 * MaxWeight * 127));

    public static Int8Format? For(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => new(type, 32, 34, 32, false, false, 128, 255),
        GgmlType.Q4_0 => new(type, 32, 18, 32, false, false, 8, 15),
        GgmlType.Q5_0 => new(type, 32, 22, 32, false, false, 16, 31),
        GgmlType.Q4_1 => new(type, 32, 20, 32, false, true, 0, 15),
        GgmlType.Q5_1 => new(type, 32, 24, 32, false, true, 0, 31),
        GgmlType.IQ4_NL => new(type, 32, 18, 32, false, false, 128, 255),
        GgmlType.IQ4_XS => new(type, 256, 136, 32, true, false, 128, 255),
        GgmlType.Q4_K => new(type, 256, 144, 32, true, true, 0, 15),
        GgmlType.Q5_K => new(type, 256, 176, 32, true, true, 0, 31),
        GgmlType.Q6_K => new(type, 256, 210, 16, true, false, 32, 63),
        GgmlType.Q3_K => new(type, 256, 110, 16, true, false, 4, 7),
        GgmlType.Q2_K => new(type, 256, 84, 16, true, true, 0, 3),
        _ => null,
    };
}
