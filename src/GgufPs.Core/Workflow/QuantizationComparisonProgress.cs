namespace GgufPs.Workflow;

/// <summary>Where a comparison stands: the type at hand, the stage, how far that stage is, and what it is doing.</summary>
public readonly record struct QuantizationComparisonProgress(
    string Type, QuantizationComparisonStage Stage, int PercentComplete, string Status, TimeSpan? EstimatedRemaining);
