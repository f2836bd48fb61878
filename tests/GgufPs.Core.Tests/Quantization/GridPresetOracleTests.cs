using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>
/// The IQ1/IQ2/IQ3 presets (whose mixes use the grid formats) against llama_model_quantize, whole files byte for
/// byte. The grid quantizers are slow in llama.cpp too, so the model here is small: four layers of width 256 with
/// GQA 4, which still reaches the mixes' per-layer and GQA rules.
/// </summary>
public class GridPresetOracleTests : IClassFixture<GridPresetOracleTests.Models>
{
    private readonly Models _models;

    public GridPresetOracleTests(Models models) => _models = models;

    /// <summary>Deterministic inputs shared by the tests of this class.</summary>
    public sealed class Models : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public Models()
        {
            Small = new SyntheticLlamaModel { Embedding = 256, FeedForward = 256, Layers = 4, Heads = 4, KvHeads = 1, Vocabulary = 256, Seed = 31 };
            SmallPath = Small.Write(_dir.File("small-f16.gguf"));
            Matrix = ImportanceMatrix.FromValues("small.imatrix", Small.ImportanceMatrix(), ["wiki.train.raw"], 9);
            // Rows of 160 and 416 fit no 256-block: every grid type falls back to IQ4_NL.
            Narrow = new SyntheticLlamaModel { Embedding = 160, FeedForward = 416, Layers = 2, Heads = 5, KvHeads = 5, Vocabulary = 96, TiedOutput = true, Seed = 32 };
            NarrowPath = Narrow.Write(_dir.File("narrow-f16.gguf"));
        }

        internal SyntheticLlamaModel Small { get; }
        public string SmallPath { get; }
        public ImportanceMatrix Matrix { get; }
        internal SyntheticLlamaModel Narrow { get; }
        public string NarrowPath { get; }

        public string File(string name) => _dir.File(name);

        public void Dispose() => _dir.Dispose();
    }

    public static TheoryData<string> GridPresets() =>
        ["IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ1_S", "IQ1_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M"];

    private void AssertMatches(string input, QuantizationOptions options, string tag)
    {
        string expected = _models.File($"{tag}-llama.gguf");
        string actual = _models.File($"{tag}-ours.gguf");
        Assert.Equal(0u, ModelComparison.QuantizeWithLlamaCpp(input, expected, options));
        ModelComparison.Quantize(input, actual, options);
        ModelComparison.AssertSameFile(expected, actual, tag);
        File.Delete(expected);
        File.Delete(actual);
    }

    [Theory]
    [MemberData(nameof(GridPresets))]
    public void WithImportanceMatrixMatchesLlamaCpp(string preset) =>
        AssertMatches(_models.SmallPath, new QuantizationOptions { Preset = QuantizationPreset.Parse(preset), ImportanceMatrix = _models.Matrix }, "imatrix-" + preset);

    [Theory]
    [MemberData(nameof(GridPresets))]
    public void WithoutImportanceMatrixMatchesOrRefusesLikeLlamaCpp(string preset)
    {
        var options = new QuantizationOptions { Preset = QuantizationPreset.Parse(preset) };
        using (var file = GgufFile.Open(_models.SmallPath))
        {
            InvalidOperationException? refused = null;
            try
            {
                QuantizationPlanner.Create(file, options);
            }
            catch (InvalidOperationException ex)
            {
                refused = ex;
            }
            if (refused is not null)
            {
                // llama.cpp stops too, at the first tensor that needs importance data.
                Assert.Contains("importance matrix", refused.Message);
                Assert.NotEqual(0u, ModelComparison.QuantizeWithLlamaCpp(_models.SmallPath, _models.File($"refused-{preset}.gguf"), options));
                return;
            }
        }
        AssertMatches(_models.SmallPath, options, "plain-" + preset);
    }

    [Theory]
    [InlineData("IQ2_XXS")]
    [InlineData("IQ1_M")]
    [InlineData("IQ3_S")]
    public void FallbacksMatchLlamaCpp(string preset)
    {
        var matrix = ImportanceMatrix.FromValues("narrow.imatrix", _models.Narrow.ImportanceMatrix(), ["wiki.train.raw"], 9);
        AssertMatches(_models.NarrowPath, new QuantizationOptions { Preset = QuantizationPreset.Parse(preset), ImportanceMatrix = matrix }, "narrow-" + preset);
    }
}
