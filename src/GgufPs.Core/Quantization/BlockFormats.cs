namespace GgufPs.Quantization;

/// <summary>The block formats this build implements, by ggml type.</summary>
public static class BlockFormats
{
    private static readonly Dictionary<GgmlType, BlockFormat> ByType = new BlockFormat[]
    {
        new F32BlockFormat(),
        new F16BlockFormat(),
        new BF16BlockFormat(),
        new Q4_0BlockFormat(),
        new Q4_1BlockFormat(),
        new Q5_0BlockFormat(),
        new Q5_1BlockFormat(),
        new Q8_0BlockFormat(),
        new Q8_1BlockFormat(),
        new Q2_KBlockFormat(),
        new Q3_KBlockFormat(),
        new Q4_KBlockFormat(),
        new Q5_KBlockFormat(),
        new Q6_KBlockFormat(),
        new Q8_KBlockFormat(),
        new IQ4_NLBlockFormat(),
        new IQ4_XSBlockFormat(),
        new IQ2_XXSBlockFormat(),
        new IQ2_XSBlockFormat(),
        new IQ3_XXSBlockFormat(),
        new IQ1_SBlockFormat(),
        new IQ3_SBlockFormat(),
        new IQ2_SBlockFormat(),
        new IQ1_MBlockFormat(),
        new TQ1_0BlockFormat(),
        new TQ2_0BlockFormat(),
    }.ToDictionary(f => f.Type);

    /// <summary>Every implemented format, in type-id order.</summary>
    public static IReadOnlyList<BlockFormat> All { get; } = ByType.Values.OrderBy(f => (int)f.Type).ToArray();

    public static bool TryGet(GgmlType type, out BlockFormat format) => ByType.TryGetValue(type, out format!);

    /// <summary>The format for <paramref name="type"/>; <see cref="NotSupportedException"/> when it is not implemented.</summary>
    public static BlockFormat Get(GgmlType type) =>
        ByType.TryGetValue(type, out var format)
            ? format
            : throw new NotSupportedException($"Tensor type {GgmlTypeInfo.Get(type).Name} is not supported for quantization or dequantization.");
}
