using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class QuantizationComparisonTextTests
{
    private static QuantizationComparisonProgress At(QuantizationComparisonStage stage, int percent) => new("Q4_K_M", stage, percent, "", null);

    [Theory]
    [InlineData(0, QuantizationComparisonStage.MeasuringSource, 50, 16)] // the source's half-done third of three steps
    [InlineData(1, QuantizationComparisonStage.Quantizing, 100, 50)]   // type 1 quantized: half its share
    [InlineData(1, QuantizationComparisonStage.Measuring, 0, 50)]
    [InlineData(2, QuantizationComparisonStage.Measuring, 100, 100)]
    public void EachTypesShareIsHalfQuantizingAndHalfMeasuring(int step, QuantizationComparisonStage stage, int percent, int expected) =>
        Assert.Equal(expected, QuantizationComparisonText.OverallPercent(step, 2, At(stage, percent)));

    [Fact]
    public void TheStepSaysWhatIsHappening()
    {
        Assert.Equal("Quantizing to Q4_K_M", QuantizationComparisonText.StepActivity(At(QuantizationComparisonStage.Quantizing, 0)));
        Assert.Equal("Measuring Q4_K_M against the source", QuantizationComparisonText.StepActivity(At(QuantizationComparisonStage.Measuring, 0)));
        Assert.Equal("Measuring the source (Q4_K_M)", QuantizationComparisonText.StepActivity(At(QuantizationComparisonStage.MeasuringSource, 0)));
    }
}
