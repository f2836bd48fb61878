using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>Plans a quantization of a model without writing it, to tell what each type would give.</summary>
public static class QuantizationEstimator
{
    /// <summary>
    /// Estimates <paramref name="type"/> for the open model. Already-quantized models are planned as requantized;
    /// a type that cannot be planned (an importance matrix is needed, ...) gives an estimate whose Error says why.
    /// </summary>
    public static QuantizationEstimate Estimate(GgufFile model, QuantizationType type, ImportanceMatrix? importanceMatrix = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(type);
        QuantizationPlan plan;
        try
        {
            plan = QuantizationPlanner.Create(model, new QuantizationOptions
            {
                Preset = type.Preset,
                ImportanceMatrix = importanceMatrix,
                AllowRequantize = true,
            });
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidDataException or NotSupportedException)
        {
            return new QuantizationEstimate
            {
                Type = type.Name,
                Model = model.Path,
                FileSize = 0,
                BitsPerWeight = 0,
                QuantizedTensors = 0,
                FallbackTensors = 0,
                FallbackPercent = 0,
                Fallbacks = [],
                Error = ex.Message,
            };
        }
        var quantized = plan.Tensors.Where(t => t.IsFallback || !t.IsCopied).ToList();
        long weights = quantized.Sum(t => t.Source.ElementCount);
        long fallbackWeights = quantized.Where(t => t.IsFallback).Sum(t => t.Source.ElementCount);
        long parameters = plan.Tensors.Sum(t => t.Source.ElementCount);
        long bytes = plan.Tensors.Sum(t => t.TargetBytes);
        return new QuantizationEstimate
        {
            Type = type.Name,
            Model = model.Path,
            FileSize = plan.PredictedFileSize,
            BitsPerWeight = parameters == 0 ? 0 : bytes * 8.0 / parameters,
            QuantizedTensors = quantized.Count,
            FallbackTensors = quantized.Count(t => t.IsFallback),
            FallbackPercent = weights == 0 ? 0 : 100.0 * fallbackWeights / weights,
            Fallbacks = FallbackSummary.Describe(type.Name, plan),
            Error = null,
        };
    }
}
