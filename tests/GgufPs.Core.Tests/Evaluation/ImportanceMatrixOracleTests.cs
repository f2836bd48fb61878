using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Tests.Inference;
using GgufPs.Oracle;

namespace GgufPs.Tests.Evaluation;

/// <summary>
/// Our importance matrix against sums of squares taken from llama.cpp's own activations (the eval callback that
/// llama-imatrix uses), for the same model, text, context and chunks.
/// </summary>
public class ImportanceMatrixOracleTests(SyntheticModelFixture models, ITestOutputHelper output) : IClassFixture<SyntheticModelFixture>
{
    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    [Theory]
    [InlineData("llama-F32", 64, 3, false, 1e-4)]
    [InlineData("llama-F32", 48, 2, true, 1e-4)]
    [InlineData("qwen2-F32", 64, 2, true, 1e-4)]
    // GPT-2's GELU goes through an F16 table and quantized weights round their inputs to 8 bits: a float-rounding
    // difference upstream can flip one rounding step, which the forward pass carries on (its logits agree to 0.2
    // there). The sums then differ by rounding noise: 5e-4 on average for Q4_K_M, a few columns by up to 2%; its
    // perplexity over these two chunks by 1.7e-3 in ln PPL, exactly as Measure-Perplexity's does.
    [InlineData("gpt2-F32", 32, 3, true, 2e-3)]
    [InlineData("llama-Q4_K_M", 64, 2, false, 5e-2, 3e-3)]
    public void SumsAndCountsMatchLlamaCppActivations(string name, int context, int chunks, bool processOutput, double tolerance, double perplexityTolerance = 1e-3)
    {
        string path = models.Path(name);
        var expected = LlamaCppImatrix.Compute(path, Text, context, chunks, processOutput);

        using var model = TransformerModel.Open(path);
        var matrix = new ImportanceMatrixAccumulator(context, threads: 2) { ProcessOutput = processOutput };
        var result = new ImportanceMatrixComputer(model, new ImportanceMatrixOptions { Context = context, Chunks = chunks, Threads = 2 })
            .Compute(Text, matrix);

        var entries = matrix.Entries().ToDictionary(e => e.Name);
        Assert.Equal(expected.Sums.Keys.Order(), entries.Keys.Order());
        // A tied output (qwen2 here) is token_embd.weight in the product: never collected, as in llama-imatrix.
        Assert.Equal(processOutput && name != "qwen2-F32", entries.ContainsKey("output.weight"));
        double worst = 0, total = 0;
        long columns = 0;
        foreach (var (tensor, sums) in expected.Sums)
        {
            var e = entries[tensor];
            Assert.Equal([expected.Counts[tensor]], e.Counts);
            Assert.Equal((long)chunks * context, e.Counts[0]);
            Assert.Equal(sums.Length, e.Sums.Length);
            for (int j = 0; j < sums.Length; j++)
            {
                double relative = Math.Abs(e.Sums[j] - sums[j]) / Math.Max(sums[j], 1e-30);
                worst = Math.Max(worst, relative);
                total += relative;
                columns++;
            }
        }
        output.WriteLine($"{name}: worst {worst:G3}, mean {total / columns:G3}");
        Assert.True(worst <= tolerance, $"worst {worst}");
        Assert.True(total / columns <= tolerance / 10, $"mean {total / columns}");
        Assert.Equal(chunks, matrix.ChunkCount);
        Assert.Equal(chunks, result.Chunks);
        double ppl = Math.Abs(Math.Log(result.Perplexity / expected.Perplexity));
        output.WriteLine($"{name}: {entries.Count} entries, worst relative difference {worst:G3}, Δ ln PPL {ppl:G3}");
        Assert.InRange(ppl, 0, perplexityTolerance);
    }
}
