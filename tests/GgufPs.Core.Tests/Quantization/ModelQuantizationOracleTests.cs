using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>Whole files from <see cref="ModelQuantizer"/> against llama_model_quantize, byte for byte, for every preset.</summary>
public class ModelQuantizationOracleTests : IClassFixture<ModelQuantizationOracleTests.Models>
{
    private readonly Models _models;

    public ModelQuantizationOracleTests(Models models) => _models = models;

    /// <summary>Deterministic inputs shared by the tests of this class.</summary>
    public sealed class Models : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public Models()
        {
            // Widths multiple of 256, 8 layers so "use more bits" picks varied layers, GQA 4.
            Gqa = new SyntheticLlamaModel { Embedding = 256, FeedForward = 512, Layers = 8, Heads = 8, KvHeads = 2, Vocabulary = 320, Seed = 11 };
            GqaPath = Gqa.Write(_dir.File("gqa-f16.gguf"));
            // Widths multiple of 32 only (K-quants fall back), no GQA, tied output, F32 weights.
            Narrow = new SyntheticLlamaModel { Embedding = 160, FeedForward = 416, Layers = 3, Heads = 5, KvHeads = 5, Vocabulary = 200, TiedOutput = true, WeightType = GgmlType.F32, Seed = 12 };
            NarrowPath = Narrow.Write(_dir.File("narrow-f32.gguf"));
            // FFN rows of 200 fit no block type: K-quants fall back twice, to F16.
            Odd = new SyntheticLlamaModel { Embedding = 256, FeedForward = 200, Layers = 2, Heads = 4, KvHeads = 1, Vocabulary = 256, Seed = 13 };
            OddPath = Odd.Write(_dir.File("odd-f16.gguf"));
        }

        internal SyntheticLlamaModel Gqa { get; }
        public string GqaPath { get; }
        internal SyntheticLlamaModel Narrow { get; }
        public string NarrowPath { get; }
        internal SyntheticLlamaModel Odd { get; }
        public string OddPath { get; }

        public string File(string name) => _dir.File(name);

        public void Dispose() => _dir.Dispose();
    }

    // The IQ1/IQ2/IQ3 presets are slow to quantize; GridPresetOracleTests covers them on a smaller model.
    public static TheoryData<string> Presets()
    {
        var data = new TheoryData<string>();
        foreach (var p in QuantizationPreset.All)
        {
            if (!(p.Name.StartsWith("IQ1", StringComparison.Ordinal) || p.Name.StartsWith("IQ2", StringComparison.Ordinal) || p.Name.StartsWith("IQ3", StringComparison.Ordinal)))
            {
                data.Add(p.Name);
            }
        }
        return data;
    }

    private void AssertMatches(string input, QuantizationOptions options, string tag)
    {
        string expected = _models.File($"{tag}-llama.gguf");
        string actual = _models.File($"{tag}-ours.gguf");
        uint rc = ModelComparison.QuantizeWithLlamaCpp(input, expected, options);
        Assert.Equal(0u, rc);
        ModelComparison.Quantize(input, actual, options);
        ModelComparison.AssertSameFile(expected, actual, tag);
        File.Delete(expected);
        File.Delete(actual);
    }

    // Without an importance matrix llama.cpp refuses Q2_K_S once a tensor other than token_embd.weight would be
    // Q2_K (tensor_requires_imatrix); our planner must refuse exactly when it does, and match it otherwise.
    private void AssertMatchesOrRefusesLikeLlamaCpp(string input, QuantizationOptions options, string tag)
    {
        InvalidOperationException? refused = null;
        using (var file = GgufFile.Open(input))
        {
            try
            {
                QuantizationPlanner.Create(file, options);
            }
            catch (InvalidOperationException ex)
            {
                refused = ex;
            }
        }
        if (refused is null)
        {
            AssertMatches(input, options, tag);
            return;
        }
        Assert.Contains("importance matrix", refused.Message);
        Assert.NotEqual(0u, ModelComparison.QuantizeWithLlamaCpp(input, _models.File($"{tag}-refused.gguf"), options));
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void GqaModelMatchesLlamaCpp(string preset) =>
        AssertMatchesOrRefusesLikeLlamaCpp(_models.GqaPath, new QuantizationOptions { Preset = QuantizationPreset.Parse(preset) }, "gqa-" + preset);

    [Theory]
    [MemberData(nameof(Presets))]
    public void NarrowModelMatchesLlamaCpp(string preset) =>
        AssertMatchesOrRefusesLikeLlamaCpp(_models.NarrowPath, new QuantizationOptions { Preset = QuantizationPreset.Parse(preset) }, "narrow-" + preset);

    [Theory]
    [InlineData("Q2_K")]
    [InlineData("Q3_K_M")]
    [InlineData("Q4_K_M")]
    [InlineData("Q5_K_S")]
    [InlineData("Q6_K")]
    [InlineData("IQ4_XS")]
    public void DoubleFallbackMatchesLlamaCpp(string preset) =>
        AssertMatches(_models.OddPath, new QuantizationOptions { Preset = QuantizationPreset.Parse(preset) }, "odd-" + preset);

    [Theory]
    [InlineData("Q4_0")]
    [InlineData("Q4_1")]
    [InlineData("Q5_0")]
    [InlineData("Q5_1")]
    [InlineData("Q2_K_S")]
    [InlineData("Q3_K_S")]
    [InlineData("Q4_K_M")]
    [InlineData("Q5_K_M")]
    [InlineData("Q6_K")]
    [InlineData("IQ4_NL")]
    [InlineData("IQ4_XS")]
    public void ImportanceMatrixMatchesLlamaCpp(string preset)
    {
        var matrix = ImportanceMatrix.FromValues("synthetic.imatrix", _models.Gqa.ImportanceMatrix(), ["wiki.train.raw"], 17);
        AssertMatches(_models.GqaPath, new QuantizationOptions { Preset = QuantizationPreset.Parse(preset), ImportanceMatrix = matrix }, "gqa-imatrix-" + preset);
    }

    // llama.cpp's model type, from the architecture, the layer count and the heads, decides whether attn_v gets more
    // bits (LLM_TYPE_70B). Narrow rows keep 80 layers small; the K-quants fall back, still telling Q4_K from Q5_K.
    [Theory]
    [InlineData("llama", 1)]
    [InlineData("llama", 4)]
    [InlineData("qwen2", 1)]
    [InlineData("deci", 1)]
    [InlineData("olmo", 1)]
    [InlineData("qwen3", 1)]
    public void EightyLayerModelsMatchLlamaCpp(string architecture, int kvHeads)
    {
        var model = new SyntheticLlamaModel
        {
            Architecture = architecture, Embedding = 32, FeedForward = 32, Layers = 80, Heads = 4, KvHeads = kvHeads, Vocabulary = 64, Seed = 21,
            // olmo normalizes with LayerNorm, whose epsilon llama.cpp requires.
            ExtraMetadata = [GgufMetadataEntry.Create($"{architecture}.attention.layer_norm_epsilon", 1e-5f)],
        };
        string tag = $"eighty-{architecture}-{kvHeads}";
        AssertMatches(model.Write(_models.File(tag + ".gguf")), new QuantizationOptions { Preset = QuantizationPreset.Parse("Q3_K_M") }, tag);
    }
}
