using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class QuantizationProgressTextTests
{
    [Fact]
    public void NamesTheTensorFromOneAndSaysWhetherItIsCopied()
    {
        var converting = new QuantizationProgress(0, 12, "blk.0.attn_q.weight", GgmlType.F16, GgmlType.Q4_K, 0, 10, 0, 100);
        Assert.Equal("Tensor 1 of 12: blk.0.attn_q.weight", QuantizationProgressText.TensorActivity(converting));
        Assert.Equal("F16 -> Q4_K", QuantizationProgressText.TensorStatus(converting));
        Assert.Equal("copying F32", QuantizationProgressText.TensorStatus(converting with { SourceType = GgmlType.F32, TargetType = GgmlType.F32 }));
    }

    [Fact]
    public void TheFinalLineGivesTheSizeAndTheSeconds()
    {
        Assert.Equal("Wrote 'o.gguf' (2.50 KB) in 1.5 s.", QuantizationProgressText.Wrote("o.gguf", 2500, TimeSpan.FromSeconds(1.5)));
    }
}
