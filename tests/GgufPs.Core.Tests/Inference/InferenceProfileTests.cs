using GgufPs.Evaluation;
using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>
/// The stage profile sees every stage of every chunk and changes nothing; a context keeps its batch buffers across
/// chunks and batches of other lengths without carrying anything over.
/// </summary>
public class InferenceProfileTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private const int Context = 64;

    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    [Theory]
    [InlineData("llama-F16")]
    [InlineData("llama-Q4_K_M")]
    public void ProfiledRunGivesTheSamePerplexityAndTimesEveryStage(string name)
    {
        using var model = TransformerModel.Open(models.Path(name));
        var options = new PerplexityOptions { Context = Context, Chunks = 3, Threads = 2 };
        var plain = new PerplexityEvaluator(model, options).Measure(Text);
        var profile = new InferenceProfile(() => Environment.TickCount64 * 1_000_000);
        var profiled = new PerplexityEvaluator(model, options) { Profile = profile }.Measure(Text);

        Assert.Equal(plain.Perplexity, profiled.Perplexity);
        Assert.Equal(3, profile.Chunks.Count);
        int layers = model.Config.LayerCount;
        foreach (var chunk in profile.Chunks)
        {
            Assert.Equal(layers, chunk.Stages[InferenceProfile.Attention].Calls);
            Assert.Equal(2 * layers + 1, chunk.Stages[InferenceProfile.Norm].Calls);
            Assert.Equal(1, chunk.Stages[InferenceProfile.Scoring].Calls);
            Assert.Equal(1, chunk.Stages[model.Output.ProfileStage].Calls);
            var products = model.Layers.SelectMany(l => new[] { l.Query!, l.Key!, l.Value!, l.Output, l.Gate!, l.Up, l.Down })
                .Append(model.Output).Select(m => m.ProfileStage).Distinct();
            Assert.Equal(7 * layers + 1, products.Sum(p => chunk.Stages[p].Calls));
            Assert.True(chunk.Stages.Values.Sum(s => s.Ticks) <= chunk.WallTicks);
        }
    }

    [Theory]
    [InlineData("llama-F16")]
    [InlineData("llama-Q8_0")]
    [InlineData("gpt2-F16")]
    public void ReusedContextGivesAFreshContextsLogits(string name)
    {
        using var model = TransformerModel.Open(models.Path(name));
        int[] tokens = model.Tokenizer.Tokenize(Text, addSpecial: true, parseSpecial: false);
        int v = model.VocabularySize;
        using var reused = new InferenceContext(model, Context, batchSize: 32, threads: 2);
        var first = new float[Context * v];
        reused.Evaluate(tokens.AsSpan(0, Context), 0, first);
        reused.Clear();
        // A second text of another length, in batches of 32 and 8 tokens.
        var again = new float[40 * v];
        reused.Evaluate(tokens.AsSpan(100, 40), 0, again);

        using var fresh = new InferenceContext(model, Context, batchSize: 32, threads: 2);
        var expected = new float[40 * v];
        fresh.Evaluate(tokens.AsSpan(100, 40), 0, expected);
        Assert.Equal(expected, again);
    }
}
