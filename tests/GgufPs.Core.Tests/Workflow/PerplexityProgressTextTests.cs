using GgufPs.Evaluation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class PerplexityProgressTextTests
{
    [Fact]
    public void WritesLlamaPerplexitysRunningEstimate()
    {
        var progress = new PerplexityProgress(3, 8, 5.123449, TimeSpan.FromSeconds(2));
        Assert.Equal("[3]5.1234", PerplexityProgressText.RunningEstimate(progress));
        Assert.Equal("Chunk 3 of 8: perplexity 5.1234", PerplexityProgressText.Status(progress));
        Assert.Equal("Measuring the perplexity of m.gguf", PerplexityProgressText.Activity(Path.Combine("models", "m.gguf")));
    }
}
