using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;
using GgufPs.Tests.Inference;
using GgufPs.Oracle;
using GgufPs.Tests.Quantization;

namespace GgufPs.Tests.Evaluation;

/// <summary>
/// What an importance matrix is for: a matrix computed here, written as llama-imatrix writes it, drives our quantizer
/// and llama_model_quantize to the same bytes, and lowers the KL divergence of a 2-bit model.
/// </summary>
public class ImportanceMatrixQuantizationTests(ImportanceMatrixQuantizationTests.Models models, ITestOutputHelper output)
    : IClassFixture<ImportanceMatrixQuantizationTests.Models>
{
    private const int Context = 64;

    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    /// <summary>A synthetic llama (F32, rows of 256 and 768) and its importance matrix over 8 chunks, in both formats.</summary>
    public sealed class Models : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public Models()
        {
            ModelPath = new SyntheticModel(ModelArchitecture.Llama, 256, 768, 2, 8, 2, GgmlType.F32, Seed: 77).Write(_dir.File("llama-f32.gguf"));
            using var model = TransformerModel.Open(ModelPath);
            var matrix = new ImportanceMatrixAccumulator(Context, threads: 2);
            matrix.AddDataset("tinystories_heldout.txt");
            new ImportanceMatrixComputer(model, new ImportanceMatrixOptions { Context = Context, Chunks = 8, Threads = 2, ComputePerplexity = false })
                .Compute(Text, matrix);
            GgufPath = _dir.File("llama.imatrix.gguf");
            matrix.Save(GgufPath, ImportanceMatrixFormat.Gguf, overwrite: false);
            DatPath = _dir.File("llama.imatrix.dat");
            matrix.Save(DatPath, ImportanceMatrixFormat.Dat, overwrite: false);
        }

        public string ModelPath { get; }

        public string GgufPath { get; }

        public string DatPath { get; }

        public string File(string name) => _dir.File(name);

        public void Dispose() => _dir.Dispose();
    }

    [Theory]
    [InlineData("Q4_K_M", false)]
    [InlineData("Q3_K_S", false)]
    [InlineData("Q2_K", false)]
    [InlineData("Q2_K_S", false)]
    [InlineData("IQ4_XS", false)]
    [InlineData("Q2_K_S", true)]
    public void QuantizingWithOurMatrixMatchesLlamaCpp(string preset, bool legacy)
    {
        string imatrix = legacy ? models.DatPath : models.GgufPath;
        var options = new QuantizationOptions { Preset = QuantizationPreset.Parse(preset), ImportanceMatrix = ImportanceMatrix.Load(imatrix, Path.GetFileName(imatrix)) };
        string expected = models.File($"{preset}-{legacy}-llama.gguf");
        string actual = models.File($"{preset}-{legacy}-ours.gguf");
        Assert.Equal(0u, ModelComparison.QuantizeWithLlamaCpp(models.ModelPath, expected, options));
        ModelComparison.Quantize(models.ModelPath, actual, options);
        ModelComparison.AssertSameFile(expected, actual, preset);
        using (var loaded = LlamaCppOracle.LoadModel(actual, 64))
        {
            Assert.NotNull(loaded);
        }
        File.Delete(expected);
        File.Delete(actual);
    }

    [Fact]
    public void TwoBitModelIsCloserToF32WithTheMatrix()
    {
        string plain = models.File("q2k-plain.gguf");
        string guided = models.File("q2k-imatrix.gguf");
        ModelComparison.Quantize(models.ModelPath, plain, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q2_K") });
        ModelComparison.Quantize(models.ModelPath, guided, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q2_K"), ImportanceMatrix = ImportanceMatrix.Load(models.GgufPath) });
        double Kld(string path)
        {
            using var model = TransformerModel.Open(path);
            using var reference = TransformerModel.Open(models.ModelPath);
            // Chunks after the 8 the matrix was computed on: held-out text.
            var result = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Chunks = 12, Threads = 2 }) { ReferenceModel = reference }
                .Measure(Text.AsSpan(Text.Length / 2));
            return result.KlDivergence!.MeanKlDivergence;
        }
        double without = Kld(plain);
        double with = Kld(guided);
        output.WriteLine($"Q2_K mean KLD to F32: without imatrix {without:G4}, with {with:G4}");
        Assert.True(with < without, $"with {with}, without {without}");
    }
}
