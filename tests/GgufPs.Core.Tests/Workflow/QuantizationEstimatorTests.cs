using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

/// <summary>Estimates are the plans Invoke-Quantize carries out: their sizes are the files' sizes.</summary>
public class QuantizationEstimatorTests
{
    [Theory]
    [InlineData("Q8_0", 5, true)]
    [InlineData("Q4_0", 6, true)]
    [InlineData("Q4_K_M", 36, false)]
    public void PredictsTheFileAndItsFallbacks(string name, int fallbacks, bool fits)
    {
        using var directory = new TempDirectory();
        string output = directory.File("out.gguf");
        QuantizationEstimate estimate;
        using (var file = GgufFile.Open(FixturePaths.Stories260K))
        {
            Assert.True(QuantizationTypeCatalog.TryGet(name, out var type));
            estimate = QuantizationEstimator.Estimate(file, type);
            ModelQuantizer.Run(QuantizationPlanner.Create(file, new QuantizationOptions { Preset = type.Preset }), output);
        }
        var written = GgufFile.ReadInfo(output);
        Assert.Null(estimate.Error);
        Assert.Equal(written.FileSize, estimate.FileSize);
        Assert.Equal(written.BitsPerWeight, estimate.BitsPerWeight, 9);
        Assert.Equal(fallbacks, estimate.FallbackTensors);
        Assert.Equal(fits, estimate.Fits);
        Assert.Equal(fallbacks > 0, estimate.Fallbacks.Count > 0);
    }

    [Fact]
    public void ATypeThatCannotBePlannedSaysWhy()
    {
        using var directory = new TempDirectory();
        string source = directory.File("synthetic-F16.gguf");
        new Tests.Inference.SyntheticModel(GgufPs.Inference.ModelArchitecture.Llama, 256, 768, 2, 8, 2, GgmlType.F16).Write(source);
        using var file = GgufFile.Open(source);
        Assert.True(QuantizationTypeCatalog.TryGet("Q2_K_S", out var type));
        var estimate = QuantizationEstimator.Estimate(file, type);
        Assert.False(estimate.Fits);
        Assert.Contains("importance matrix", estimate.Error);
    }
}
