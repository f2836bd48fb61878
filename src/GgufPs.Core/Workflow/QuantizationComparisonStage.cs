namespace GgufPs.Workflow;

/// <summary>What a comparison is doing.</summary>
public enum QuantizationComparisonStage
{
    /// <summary>Measuring the source model and saving its log-probabilities.</summary>
    MeasuringSource,

    /// <summary>Writing a quantized file.</summary>
    Quantizing,

    /// <summary>Measuring a quantized file against the source.</summary>
    Measuring,
}
