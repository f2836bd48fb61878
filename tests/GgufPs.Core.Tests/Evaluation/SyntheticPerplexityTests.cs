using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Tests.Inference;
using GgufPs.Oracle;

namespace GgufPs.Tests.Evaluation;

/// <summary>Perplexity and logits parity with llama.cpp on every synthetic model (architectures and weight types).</summary>
public class SyntheticPerplexityTests(SyntheticModelFixture models, ITestOutputHelper output) : IClassFixture<SyntheticModelFixture>
{
    private const int Context = 64;
    private const int Chunks = 16;

    public static IEnumerable<object[]> Models => SyntheticModelFixture.Names.Select(n => new object[] { n });

    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    [Theory]
    [MemberData(nameof(Models))]
    public void PerplexityMatchesLlamaCpp(string name)
    {
        string path = models.Path(name);
        var expected = LlamaCppPerplexity.Measure(path, Text, Context, Chunks);
        using var model = TransformerModel.Open(path);
        var actual = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Chunks = Chunks, Threads = 2 }).Measure(Text);
        double delta = Math.Log(actual.Perplexity) - expected.MeanNll;
        output.WriteLine($"{name}: oracle {expected.Perplexity:F5}, ours {actual.Perplexity:F5}, Δ ln PPL {delta:G3}");
        Assert.Equal(Chunks, actual.Chunks);
        Assert.InRange(Math.Abs(delta), 0, 1e-3);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsMatchLlamaCpp(string name)
    {
        string path = models.Path(name);
        using var model = TransformerModel.Open(path);
        int[] tokens = model.Tokenizer.Tokenize(Text, addSpecial: true, parseSpecial: false)[..Context];
        using var oracle = LlamaCppOracle.LoadModel(path, Context)!;
        float[] expected = oracle.EvaluateAll(tokens);
        using var context = new InferenceContext(model, Context, Context, threads: 2);
        var actual = new float[expected.Length];
        context.Evaluate(tokens, 0, actual);
        var comparison = LogitComparison.Compare(expected, actual, model.VocabularySize);
        output.WriteLine($"{name}: {comparison}");
        if (name.EndsWith("F32") || name.EndsWith("F16"))
        {
            // Float weights follow llama.cpp's summation order, so the logits agree to float rounding (llama's are
            // bit-identical; GPT-2's LayerNorm and GELU table leave rare one-ulp F16 flips).
            Assert.True(comparison.MaxAbsDifference < 5e-3, comparison.ToString());
        }
        else
        {
            // Quantized activations turn float-rounding noise into an occasional one-step flip of a quantized value.
            Assert.True(comparison.MaxAbsDifference < 0.2, comparison.ToString());
        }
        Assert.Equal(0, comparison.ArgmaxMismatches);
    }
}
