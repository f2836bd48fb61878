using GgufPs.Inference;
using GgufPs.Oracle;

namespace GgufPs.Tests.Inference;

/// <summary>Our forward pass against llama_decode's logits for every position of a batch.</summary>
public class InferenceOracleTests(ITestOutputHelper output)
{
    private static int[] TokensOf(TransformerModel model, int count)
    {
        string text = File.ReadAllText(FixturePaths.Get("text", "tinystories_heldout.txt"));
        int[] tokens = model.Tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
        return tokens[..count];
    }

    private static double Nll(ReadOnlySpan<float> logits, int token)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += MathF.Exp(l - max);
        return -(logits[token] - max - Math.Log(sum));
    }

    [Fact]
    public void Stories260KLogitsMatchTheOracle()
    {
        const int n = 128;
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        int[] tokens = TokensOf(model, n);
        using var oracle = LlamaCppOracle.LoadModel(FixturePaths.Stories260K, contextLength: n)!;
        float[] expected = oracle.EvaluateAll(tokens);

        using var context = new InferenceContext(model, n, n, threads: 2);
        var actual = new float[expected.Length];
        context.Evaluate(tokens, 0, actual);

        int vocab = model.VocabularySize;
        double nllE = 0, nllA = 0;
        for (int pos = n / 2; pos < n - 1; pos++)
        {
            nllE += Nll(expected.AsSpan(pos * vocab, vocab), tokens[pos + 1]);
            nllA += Nll(actual.AsSpan(pos * vocab, vocab), tokens[pos + 1]);
        }
        output.WriteLine($"mean nll oracle {nllE / (n / 2 - 1):R} ours {nllA / (n / 2 - 1):R} diff {(nllA - nllE) / (n / 2 - 1):G3}");
        var comparison = LogitComparison.Compare(expected, actual, model.VocabularySize);
        output.WriteLine(comparison.ToString());
        Assert.True(comparison.MaxAbsDifference < 1e-2, comparison.ToString());
        Assert.InRange(Math.Abs(nllA - nllE) / (n / 2 - 1), 0, 1e-4);
        Assert.Equal(0, comparison.ArgmaxMismatches);
    }
}
