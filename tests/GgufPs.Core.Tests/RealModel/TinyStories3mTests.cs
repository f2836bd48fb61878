using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Oracle;

namespace GgufPs.Tests.RealModel;

/// <summary>
/// tinystories-3m, a small trained llama whose rows (256, 768) fit every K-quant, against llama.cpp: the file sizes
/// and perplexities llama.cpp's converter, llama-quantize and llama-perplexity gave (the fixture's
/// llama-cpp-reference.json), and the bytes of the oracle's llama_model_quantize.
/// </summary>
public class TinyStories3mTests(TinyStories3mFixture fixture, ITestOutputHelper output) : IClassFixture<TinyStories3mFixture>
{
    private static int Context => TinyStories3mReference.Context;

    [Theory]
    [MemberData(nameof(TinyStories3mReference.SizesAndPerplexities), MemberType = typeof(TinyStories3mReference))]
    public void SizeAndPerplexityAreLlamaCpps(string type, long bytes, double perplexity)
    {
        string path = fixture.Path(type);
        // The header holds names convert_hf_to_gguf takes from the folder llama.cpp's files were made in, which is not
        // known; the tensors, padding and the rest of the header account for all but a few bytes.
        Assert.InRange(new FileInfo(path).Length - bytes, -256, 256);
        using var model = TransformerModel.Open(path);
        var result = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Threads = 2 }).Measure(TinyStories3mFixture.HeldOutText);
        output.WriteLine($"{type}: {result.Perplexity:F4} (llama.cpp {perplexity:F4}), {result.Chunks} chunks, {result.TokensPerSecond:F0} tok/s");
        Assert.Equal(TinyStories3mReference.Chunks, result.Chunks);
        Assert.InRange(Math.Abs(Math.Log(result.Perplexity) - Math.Log(perplexity)), 0, 1e-3);
    }

    [Theory]
    [MemberData(nameof(TinyStories3mReference.QuantizedTypes), MemberType = typeof(TinyStories3mReference))]
    public void QuantizedBytesAreLlamaModelQuantizes(string type)
    {
        string ours = fixture.Path(type);
        string theirs = ours + ".llama.gguf";
        var parameters = LlamaCppOracle.DefaultQuantizeParams();
        parameters.FType = (int)GgufPs.Quantization.QuantizationPreset.Parse(type).FileType;
        parameters.NThread = 2;
        Assert.Equal(0u, LlamaCppOracle.QuantizeModel(fixture.Path("F16"), theirs, parameters));
        try
        {
            Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(ours));
        }
        finally
        {
            File.Delete(theirs);
        }
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    [InlineData("Q6_K")]
    [InlineData("Q4_K_M")]
    [InlineData("Q2_K")]
    public void PerplexityIsTheOraclesOverEveryChunk(string type)
    {
        string path = fixture.Path(type);
        byte[] text = TinyStories3mFixture.HeldOutText;
        var expected = LlamaCppPerplexity.Measure(path, text, Context, int.MaxValue);
        using var model = TransformerModel.Open(path);
        var actual = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Threads = 2 }).Measure(text);
        output.WriteLine($"oracle {expected.Perplexity:F6}, ours {actual.Perplexity:F6}");
        Assert.Equal(expected.Tokens.Length, actual.TokensInText);
        // Float weights and Q8_0 follow ggml's summation order; the K-quant kernels add each group in float rather than
        // each block in integers, and activations near a rounding boundary of their int8 step can then fall the
        // other way: still far inside the 1e-3, but not the same bits.
        double tolerance = type is "F16" or "Q8_0" ? 1e-4 : 5e-4;
        Assert.InRange(Math.Abs(Math.Log(actual.Perplexity) - expected.MeanNll), 0, tolerance);
    }
}
