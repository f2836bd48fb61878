namespace GgufPs.Quantization;

/// <summary>
/// A target llama-quantize accepts by name (Q4_K_M, Q8_0, COPY): the llama_ftype it records and the tensor type its
/// mix starts from, with llama.cpp's own description (size and perplexity increase on Llama-3-8B).
/// </summary>
public sealed class QuantizationPreset
{
    private QuantizationPreset(string name, LlamaFileType fileType, GgmlType defaultType, string description, string? aliasOf = null, bool isCopy = false)
    {
        Name = name;
        FileType = fileType;
        DefaultType = defaultType;
        Description = description;
        AliasOf = aliasOf;
        IsCopy = isCopy;
    }

    /// <summary>The name as llama-quantize spells it.</summary>
    public string Name { get; }

    /// <summary>What general.file_type records.</summary>
    public LlamaFileType FileType { get; }

    /// <summary>The type most weights get (llama_ftype_get_default_type).</summary>
    public GgmlType DefaultType { get; }

    /// <summary>llama-quantize's description of the type.</summary>
    public string Description { get; }

    /// <summary>The preset this name stands for (Q4_K is Q4_K_M), or null.</summary>
    public string? AliasOf { get; }

    /// <summary>True for COPY: every tensor copied unchanged.</summary>
    public bool IsCopy { get; }

    /// <summary>Bits per weight of the default type (before the mix raises some tensors).</summary>
    public double BitsPerWeight => GgmlTypeInfo.Get(DefaultType).BitsPerWeight;

    /// <summary>The presets in llama-quantize's order.</summary>
    public static IReadOnlyList<QuantizationPreset> All { get; } =
    [
        new("Q4_0", LlamaFileType.MOSTLY_Q4_0, GgmlType.Q4_0, "4.34G, +0.4685 ppl @ Llama-3-8B"),
        new("Q4_1", LlamaFileType.MOSTLY_Q4_1, GgmlType.Q4_1, "4.78G, +0.4511 ppl @ Llama-3-8B"),
        new("Q5_0", LlamaFileType.MOSTLY_Q5_0, GgmlType.Q5_0, "5.21G, +0.1316 ppl @ Llama-3-8B"),
        new("Q5_1", LlamaFileType.MOSTLY_Q5_1, GgmlType.Q5_1, "5.65G, +0.1062 ppl @ Llama-3-8B"),
        new("IQ2_XXS", LlamaFileType.MOSTLY_IQ2_XXS, GgmlType.IQ2_XXS, "2.06 bpw quantization"),
        new("IQ2_XS", LlamaFileType.MOSTLY_IQ2_XS, GgmlType.IQ2_XS, "2.31 bpw quantization"),
        new("IQ2_S", LlamaFileType.MOSTLY_IQ2_S, GgmlType.IQ2_XS, "2.5 bpw quantization"),
        new("IQ2_M", LlamaFileType.MOSTLY_IQ2_M, GgmlType.IQ2_S, "2.7 bpw quantization"),
        new("IQ1_S", LlamaFileType.MOSTLY_IQ1_S, GgmlType.IQ1_S, "1.56 bpw quantization"),
        new("IQ1_M", LlamaFileType.MOSTLY_IQ1_M, GgmlType.IQ1_M, "1.75 bpw quantization"),
        new("TQ1_0", LlamaFileType.MOSTLY_TQ1_0, GgmlType.TQ1_0, "1.69 bpw ternarization"),
        new("TQ2_0", LlamaFileType.MOSTLY_TQ2_0, GgmlType.TQ2_0, "2.06 bpw ternarization"),
        new("Q2_K", LlamaFileType.MOSTLY_Q2_K, GgmlType.Q2_K, "2.96G, +3.5199 ppl @ Llama-3-8B"),
        new("Q2_K_S", LlamaFileType.MOSTLY_Q2_K_S, GgmlType.Q2_K, "2.96G, +3.1836 ppl @ Llama-3-8B"),
        new("IQ3_XXS", LlamaFileType.MOSTLY_IQ3_XXS, GgmlType.IQ3_XXS, "3.06 bpw quantization"),
        new("IQ3_S", LlamaFileType.MOSTLY_IQ3_S, GgmlType.IQ3_S, "3.44 bpw quantization"),
        new("IQ3_M", LlamaFileType.MOSTLY_IQ3_M, GgmlType.IQ3_S, "3.66 bpw quantization mix"),
        new("Q3_K", LlamaFileType.MOSTLY_Q3_K_M, GgmlType.Q3_K, "alias for Q3_K_M", aliasOf: "Q3_K_M"),
        new("IQ3_XS", LlamaFileType.MOSTLY_IQ3_XS, GgmlType.IQ3_S, "3.3 bpw quantization"),
        new("Q3_K_S", LlamaFileType.MOSTLY_Q3_K_S, GgmlType.Q3_K, "3.41G, +1.6321 ppl @ Llama-3-8B"),
        new("Q3_K_M", LlamaFileType.MOSTLY_Q3_K_M, GgmlType.Q3_K, "3.74G, +0.6569 ppl @ Llama-3-8B"),
        new("Q3_K_L", LlamaFileType.MOSTLY_Q3_K_L, GgmlType.Q3_K, "4.03G, +0.5562 ppl @ Llama-3-8B"),
        new("IQ4_NL", LlamaFileType.MOSTLY_IQ4_NL, GgmlType.IQ4_NL, "4.50 bpw non-linear quantization"),
        new("IQ4_XS", LlamaFileType.MOSTLY_IQ4_XS, GgmlType.IQ4_XS, "4.25 bpw non-linear quantization"),
        new("Q4_K", LlamaFileType.MOSTLY_Q4_K_M, GgmlType.Q4_K, "alias for Q4_K_M", aliasOf: "Q4_K_M"),
        new("Q4_K_S", LlamaFileType.MOSTLY_Q4_K_S, GgmlType.Q4_K, "4.37G, +0.2689 ppl @ Llama-3-8B"),
        new("Q4_K_M", LlamaFileType.MOSTLY_Q4_K_M, GgmlType.Q4_K, "4.58G, +0.1754 ppl @ Llama-3-8B"),
        new("Q5_K", LlamaFileType.MOSTLY_Q5_K_M, GgmlType.Q5_K, "alias for Q5_K_M", aliasOf: "Q5_K_M"),
        new("Q5_K_S", LlamaFileType.MOSTLY_Q5_K_S, GgmlType.Q5_K, "5.21G, +0.1049 ppl @ Llama-3-8B"),
        new("Q5_K_M", LlamaFileType.MOSTLY_Q5_K_M, GgmlType.Q5_K, "5.33G, +0.0569 ppl @ Llama-3-8B"),
        new("Q6_K", LlamaFileType.MOSTLY_Q6_K, GgmlType.Q6_K, "6.14G, +0.0217 ppl @ Llama-3-8B"),
        new("Q8_0", LlamaFileType.MOSTLY_Q8_0, GgmlType.Q8_0, "7.96G, +0.0026 ppl @ Llama-3-8B"),
        new("F16", LlamaFileType.MOSTLY_F16, GgmlType.F16, "14.00G, +0.0020 ppl @ Mistral-7B"),
        new("BF16", LlamaFileType.MOSTLY_BF16, GgmlType.BF16, "14.00G, -0.0050 ppl @ Mistral-7B"),
        new("F32", LlamaFileType.ALL_F32, GgmlType.F32, "26.00G @ 7B"),
        new("COPY", LlamaFileType.ALL_F32, GgmlType.F32, "only copy tensors, no quantizing", isCopy: true),
    ];

    /// <summary>Finds a preset by name, case-insensitively, as llama-quantize does.</summary>
    public static bool TryParse(string? name, out QuantizationPreset preset)
    {
        preset = null!;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }
        foreach (var p in All)
        {
            if (string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                preset = p;
                return true;
            }
        }
        return false;
    }

    public static QuantizationPreset Parse(string name) =>
        TryParse(name, out var preset)
            ? preset
            : throw new ArgumentException($"'{name}' is not a quantization type. Valid types: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));

    public override string ToString() => Name;
}
