using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>Describes a plan's fallbacks a line per kind, rather than a warning per tensor.</summary>
internal static class FallbackSummary
{
    /// <summary>Lines such as "Q8_0: 5 tensors use F32 instead of Q8_0 (reason): blk.0.ffn_down.weight, ... and 2 more."</summary>
    public static IReadOnlyList<string> Describe(string typeName, QuantizationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Tensors.Where(t => t.IsFallback)
            .GroupBy(t => (t.RequestedType, t.TargetType, t.FallbackReason))
            .Select(g =>
            {
                var names = g.Select(t => t.Name).ToList();
                string list = string.Join(", ", names.Take(3)) + (names.Count > 3 ? $" and {names.Count - 3} more" : "");
                string tensors = names.Count == 1 ? "1 tensor uses" : $"{names.Count} tensors use";
                string reason = string.IsNullOrEmpty(g.Key.FallbackReason) ? "" : $" ({g.Key.FallbackReason})";
                return $"{typeName}: {tensors} {g.Key.TargetType} instead of {g.Key.RequestedType}{reason}: {list}.";
            })
            .ToArray();
    }
}
