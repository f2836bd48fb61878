using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>How Invoke-Quantize describes a plan: the confirmation, and under -WhatIf each part and tensor.</summary>
public static class QuantizationPlanDescription
{
    /// <summary>What quantizing the file does: the type, the tensors converted, the predicted size (and the parts of a kept split).</summary>
    public static string Action(QuantizationPlan plan, KeepSplitPlan? split)
    {
        long predicted = split?.Parts.Sum(p => p.PredictedFileSize) ?? plan.PredictedFileSize;
        return $"Quantize to {plan.Preset.Name} ({plan.Tensors.Count(t => !t.IsCopied)} of {plan.Tensors.Count} tensors converted, predicted size {ByteSize.Format(predicted)}"
            + (split is null ? ")" : $", in {split.Parts.Count} parts as the input)");
    }

    /// <summary>Each output part, then each tensor with its conversion and whether it falls back.</summary>
    public static IEnumerable<(string Target, string Action)> Details(QuantizationPlan plan, KeepSplitPlan? split)
    {
        foreach (var part in split?.Parts ?? [])
        {
            yield return (part.Path, $"{part.Descriptors.Count} tensors, {ByteSize.Format(part.PredictedFileSize)}");
        }
        foreach (var t in plan.Tensors)
        {
            string fallback = t.IsFallback ? $"fallback: yes, {t.RequestedType} does not fit" : "fallback: no";
            yield return ($"{t.Name} [{string.Join(", ", t.Shape)}]", $"{t.SourceType} -> {t.TargetType} ({fallback})");
        }
    }
}
