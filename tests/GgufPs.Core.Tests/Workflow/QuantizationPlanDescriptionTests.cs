using GgufPs.Quantization;
using GgufPs.Tests.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class QuantizationPlanDescriptionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TheActionCountsTheConvertedTensorsAndPredictsTheSize()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        using var file = GgufFile.Open(input);
        var plan = QuantizationPlanner.Create(file, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q8_0") });
        int converted = plan.Tensors.Count(t => !t.IsCopied);
        Assert.InRange(converted, 1, plan.Tensors.Count - 1);
        Assert.Equal($"Quantize to Q8_0 ({converted} of {plan.Tensors.Count} tensors converted, predicted size {ByteSize.Format(plan.PredictedFileSize)})",
            QuantizationPlanDescription.Action(plan, null));

        var details = QuantizationPlanDescription.Details(plan, null).ToList();
        Assert.Equal(plan.Tensors.Count, details.Count);
        var first = plan.Tensors[0];
        Assert.Equal(($"{first.Name} [{string.Join(", ", first.Shape)}]", $"{first.SourceType} -> {first.TargetType} (fallback: no)"), details[0]);
    }
}
