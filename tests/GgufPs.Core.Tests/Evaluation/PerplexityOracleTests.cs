using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Oracle;

namespace GgufPs.Tests.Evaluation;

/// <summary>Our perplexity against llama-perplexity's method replayed over the oracle: |Δ ln PPL| ≤ 1e-3.</summary>
public class PerplexityOracleTests(ITestOutputHelper output)
{
    private static byte[] TinyStories => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    [Fact]
    public void Stories260KMatchesLlamaPerplexity()
    {
        const int context = 128, chunks = 20;
        var expected = LlamaCppPerplexity.Measure(FixturePaths.Stories260K, TinyStories, context, chunks);
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var actual = new PerplexityEvaluator(model, new PerplexityOptions { Context = context, Chunks = chunks, Threads = 2 }).Measure(TinyStories);
        output.WriteLine($"oracle {expected.Perplexity:F6}, ours {actual.Perplexity:F6} ± {actual.StandardError:F5}, {actual.TokensPerSecond:F0} tok/s");
        Assert.Equal(chunks, actual.Chunks);
        Assert.Equal(expected.Tokens.Length, actual.TokensInText);
        Assert.InRange(Math.Abs(Math.Log(actual.Perplexity) - expected.MeanNll), 0, 1e-3);
        for (int i = 0; i < chunks; i++)
        {
            Assert.InRange(Math.Abs(Math.Log(actual.ChunkPerplexities[i]) - Math.Log(expected.Running[i])), 0, 1e-3);
        }
    }
}
