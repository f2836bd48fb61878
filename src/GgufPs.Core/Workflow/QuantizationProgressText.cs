using System.Globalization;
using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>Invoke-Quantize's progress texts: a bar for the file, with one for the tensor at hand under it.</summary>
public static class QuantizationProgressText
{
    public static string Activity(QuantizationPlan plan) => $"Invoke-Quantize {plan.Preset.Name}";

    public static string Files(QuantizationPlan plan, string outputPath) => $"{Path.GetFileName(plan.InputPath)} -> {Path.GetFileName(outputPath)}";

    public static string TensorActivity(QuantizationProgress progress) =>
        $"Tensor {progress.TensorIndex + 1} of {progress.TensorCount}: {progress.TensorName}";

    public static string TensorStatus(QuantizationProgress progress) =>
        progress.SourceType == progress.TargetType ? $"copying {progress.SourceType}" : $"{progress.SourceType} -> {progress.TargetType}";

    public static string Wrote(string outputPath, long fileSize, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"Wrote '{outputPath}' ({ByteSize.Format(fileSize)}) in {elapsed.TotalSeconds:F1} s.");
}
