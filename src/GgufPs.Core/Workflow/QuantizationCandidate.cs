using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// One type of a comparison, planned before anything is written: its quantization plan and output file, the
/// fallbacks it brings (summarised a line per kind), or why it cannot be done.
/// </summary>
public sealed class QuantizationCandidate
{
    internal QuantizationCandidate(QuantizationType type, string outputPath, string modelName, QuantizationPlan? plan, Exception? error)
    {
        Type = type;
        OutputPath = outputPath;
        ModelName = modelName;
        Plan = plan;
        Error = error;
        FallbackSummaries = plan is null ? [] : FallbackSummary.Describe(type.Name, plan);
    }

    public QuantizationType Type { get; }

    /// <summary>The file the quantization is written to.</summary>
    public string OutputPath { get; }

    /// <summary>The name Invoke-Quantize gives such a file, shown in the results.</summary>
    public string ModelName { get; }

    /// <summary>The plan; null when <see cref="Error"/> says why there is none.</summary>
    public QuantizationPlan? Plan { get; }

    /// <summary>Why this type cannot be compared (it needs an importance matrix, its file exists, ...), or null.</summary>
    public Exception? Error { get; }

    public int FallbackTensors => Plan?.Tensors.Count(t => t.IsFallback) ?? 0;

    /// <summary>One line per kind of fallback: which tensors, which type they get instead, and why.</summary>
    public IReadOnlyList<string> FallbackSummaries { get; }
}
