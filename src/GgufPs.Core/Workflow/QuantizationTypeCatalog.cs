using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// Every quantization preset (<see cref="QuantizationPreset.All"/>, the list Invoke-Quantize accepts) described for a
/// user: block layouts from ggml's block structs, and what each type is for, after llama.cpp's quantization guides
/// (Q4_K_M as the usual choice, Q6_K or Q8_0 for technical work, Q2_K as a last resort).
/// </summary>
public static class QuantizationTypeCatalog
{
    private static readonly Dictionary<GgmlType, string> Layouts = new()
    {
        [GgmlType.F32] = "one 32-bit float per weight",
        [GgmlType.F16] = "one 16-bit IEEE half per weight",
        [GgmlType.BF16] = "one bfloat16 per weight (F32's 8-bit exponent, 7-bit mantissa)",
        [GgmlType.Q4_0] = "32 weights: F16 scale, 32 × 4-bit quants; w = d·(q − 8)",
        [GgmlType.Q4_1] = "32 weights: F16 scale and minimum, 32 × 4-bit quants; w = d·q + m",
        [GgmlType.Q5_0] = "32 weights: F16 scale, 32 × 5-bit quants (4 low bits + 1 high bit); w = d·(q − 16)",
        [GgmlType.Q5_1] = "32 weights: F16 scale and minimum, 32 × 5-bit quants; w = d·q + m",
        [GgmlType.Q8_0] = "32 weights: F16 scale, 32 × 8-bit quants; w = d·q",
        [GgmlType.Q2_K] = "256 weights: 16 sub-blocks of 16 with 4-bit scales and minimums, 2-bit quants, F16 super-scales",
        [GgmlType.Q3_K] = "256 weights: 16 sub-blocks of 16 with 6-bit scales, 3-bit quants (2 low bits + high-bit mask), F16 super-scale",
        [GgmlType.Q4_K] = "256 weights: 8 sub-blocks of 32 with 6-bit scales and minimums, 4-bit quants, F16 super-scales",
        [GgmlType.Q5_K] = "256 weights: 8 sub-blocks of 32 with 6-bit scales and minimums, 5-bit quants, F16 super-scales",
        [GgmlType.Q6_K] = "256 weights: 16 sub-blocks of 16 with 8-bit scales, 6-bit quants (4 low + 2 high bits), F16 super-scale",
        [GgmlType.IQ4_NL] = "32 weights: F16 scale, 32 × 4-bit indices into a 16-value non-linear grid",
        [GgmlType.IQ4_XS] = "256 weights: 8 sub-blocks of 32 with 6-bit scales, 4-bit indices into a 16-value non-linear grid, F16 super-scale",
        [GgmlType.IQ1_S] = "256 weights: 8 groups of 32, each 4 points of a 2048-point ternary grid (±1/8 shift), 3-bit group scales, F16 super-scale",
        [GgmlType.IQ1_M] = "256 weights: 16 groups of 16, each 2 points of a 2048-point ternary grid with a shift per 8, 3-bit group scales, F16 super-scale",
        [GgmlType.IQ2_XXS] = "256 weights: 8 groups of 32, each 4 points of a 256-point 8-dimensional grid, 7 sign bits per 8 weights, 4-bit group scales, F16 super-scale",
        [GgmlType.IQ2_XS] = "256 weights: 16 groups of 16, each 2 points of a 512-point 8-dimensional grid, 7 sign bits per 8 weights, 4-bit group scales, F16 super-scale",
        [GgmlType.IQ2_S] = "256 weights: 16 groups of 16, each 2 points of a 1024-point 8-dimensional grid, 8 sign bits per 8 weights, 4-bit group scales, F16 super-scale",
        [GgmlType.IQ3_XXS] = "256 weights: 8 groups of 32, each 8 points of a 256-point 4-dimensional grid, 7 sign bits per 8 weights, 4-bit group scales, F16 super-scale",
        [GgmlType.IQ3_S] = "256 weights: 8 groups of 32, each 8 points of a 512-point 4-dimensional grid, 8 sign bits per 8 weights, 4-bit group scales, F16 super-scale",
        [GgmlType.TQ1_0] = "256 ternary weights (−1, 0, +1): five per byte in base 3, F16 scale",
        [GgmlType.TQ2_0] = "256 ternary weights (−1, 0, +1): 2 bits each, F16 scale",
    };

    private const string LegacyNote = "superseded by the K-quants, which give better quality at the same size; kept for older runtimes.";

    private static readonly Dictionary<string, string> UseCases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Q4_0"] = "Legacy 4-bit, one scale per 32 weights: " + LegacyNote + " Its blocks of 32 fit rows that are not multiples of 256.",
        ["Q4_1"] = "Legacy 4-bit with a minimum per 32 weights: " + LegacyNote,
        ["Q5_0"] = "Legacy 5-bit, one scale per 32 weights: " + LegacyNote,
        ["Q5_1"] = "Legacy 5-bit with a minimum per 32 weights: " + LegacyNote,
        ["IQ2_XXS"] = "Extreme compression at about 2 bits per weight, for very large models only: large quality loss; needs an importance matrix.",
        ["IQ2_XS"] = "About 2.3 bits per weight, for very large models in little memory: large quality loss; needs an importance matrix.",
        ["IQ2_S"] = "About 2.5 bits per weight: a little better than IQ2_XS for a little more; needs an importance matrix.",
        ["IQ2_M"] = "About 2.7 bits per weight, the best of the 2-bit mixes: usually better than Q2_K at a smaller size; needs an importance matrix.",
        ["IQ1_S"] = "The smallest type, about 1.6 bits per weight: heavy quality loss, only for the largest models; needs an importance matrix.",
        ["IQ1_M"] = "About 1.75 bits per weight: heavy quality loss, a little less than IQ1_S; needs an importance matrix.",
        ["IQ3_XXS"] = "About 3 bits per weight: smaller than Q3_K_S at similar or better quality; needs an importance matrix.",
        ["IQ3_XS"] = "About 3.3 bits per weight: between IQ3_XXS and IQ3_S; needs an importance matrix.",
        ["IQ3_S"] = "About 3.4 bits per weight: better than Q3_K_S at a similar size; an importance matrix helps.",
        ["IQ3_M"] = "About 3.7 bits per weight, the best of the 3-bit mixes: close to Q3_K_M at a smaller size; an importance matrix helps.",
        ["TQ1_0"] = "Ternary, for models trained with ternary weights (BitNet b1.58, TriLM) only: it destroys ordinary models.",
        ["TQ2_0"] = "Ternary, for models trained with ternary weights (BitNet b1.58, TriLM) only; faster than TQ1_0, a little larger.",
        ["Q2_K"] = "Smallest K-quant mix, with heavy quality loss: not recommended, except to fit a very large model in little memory. Use an importance matrix.",
        ["Q2_K_S"] = "Smaller than Q2_K and worse: a last resort for very large models; needs an importance matrix.",
        ["Q3_K_S"] = "Very small, with large quality loss: only when nothing bigger fits. An importance matrix helps a lot.",
        ["Q3_K_M"] = "Small, with noticeable quality loss: for tight memory. An importance matrix helps a lot.",
        ["Q3_K_L"] = "The largest Q3 mix: noticeably worse than Q4_K_S for a little less memory.",
        ["IQ4_NL"] = "Non-linear 4-bit in blocks of 32: Q4_0's size at better quality; fits rows that are not multiples of 256.",
        ["IQ4_XS"] = "Non-linear 4-bit at 4.25 bpw: smaller than Q4_K_S at about its quality, best with an importance matrix.",
        ["Q4_K_S"] = "A little smaller than Q4_K_M, with a little more loss: when memory is tight.",
        ["Q4_K_M"] = "Recommended for most uses: the best balance of size, speed and quality for chat and general tasks.",
        ["Q5_K_S"] = "Very good quality, a step up from Q4_K_M when memory allows.",
        ["Q5_K_M"] = "High quality, close to the original: for coding and reasoning when memory allows.",
        ["Q6_K"] = "Near-lossless: for technical work (code, math) where Q4/Q5 lose too much.",
        ["Q8_0"] = "Practically indistinguishable from F16 at half its size: for technical work, or as a reference for other types.",
        ["F16"] = "Unquantized half precision: the usual conversion output and the baseline quantizations are compared with.",
        ["BF16"] = "Unquantized bfloat16: keeps F32's range, for models trained in BF16.",
        ["F32"] = "Full precision at twice F16's size: for reference and further processing.",
        ["COPY"] = "Copies every tensor unchanged: rewrites the file (for example with -OverrideMetadata) without touching the weights.",
    };

    // llama-quantize refuses these without an importance matrix; the IQ3_XXS mix fails per tensor without one.
    private static readonly HashSet<GgmlType> ImportanceOnlyTypes =
        [GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS];

    /// <summary>Every preset, in llama-quantize's order.</summary>
    public static IReadOnlyList<QuantizationType> All { get; } = QuantizationPreset.All.Select(Describe).ToArray();

    /// <summary>Finds a type by name, case-insensitively.</summary>
    public static bool TryGet(string? name, out QuantizationType type)
    {
        type = null!;
        if (!QuantizationPreset.TryParse(name, out var preset))
        {
            return false;
        }
        type = All.First(t => ReferenceEquals(t.Preset, preset));
        return true;
    }

    /// <summary>The preset of the type named <paramref name="name"/>, case-insensitively, for Invoke-Quantize -Type.</summary>
    /// <exception cref="UnknownTypeException">No type has that name.</exception>
    public static QuantizationPreset ParsePreset(string name) => TryGet(name, out var type) ? type.Preset : throw Unknown(name);

    /// <summary>The error for a name that is no quantization type, listing those there are.</summary>
    public static UnknownTypeException Unknown(string name, string? advice = null) =>
        new(name, $"'{name}' is not a quantization type. Valid types: {string.Join(", ", All.Select(t => t.Name))}.{(advice is null ? "" : " " + advice)}");

    /// <summary>The type for a preset.</summary>
    public static QuantizationType Get(QuantizationPreset preset) => All.First(t => ReferenceEquals(t.Preset, preset));

    private static QuantizationType Describe(QuantizationPreset preset)
    {
        var info = GgmlTypeInfo.Get(preset.DefaultType);
        string layout = preset.IsCopy
            ? "tensors keep their stored types"
            : Layouts.GetValueOrDefault(preset.DefaultType) ?? $"{info.BlockSize} weights in {info.TypeSize} bytes";
        string useCase = preset.AliasOf is { } target
            ? $"Alias of {target}."
            : UseCases.GetValueOrDefault(preset.Name) ?? preset.Description;
        // IQ3_XS mixes IQ3_XXS into its IQ3_S default.
        bool requires = preset.FileType is LlamaFileType.MOSTLY_Q2_K_S or LlamaFileType.MOSTLY_IQ3_XS || ImportanceOnlyTypes.Contains(preset.DefaultType)
            || (BlockFormats.TryGet(preset.DefaultType, out var format) && format.RequiresImportance);
        return new QuantizationType(preset, layout, useCase, requires);
    }
}
