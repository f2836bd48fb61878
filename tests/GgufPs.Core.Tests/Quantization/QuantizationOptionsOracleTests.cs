using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>llama-quantize's options (forced types, overrides, --pure, requantizing, metadata) against llama_model_quantize.</summary>
public class QuantizationOptionsOracleTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SyntheticLlamaModel _model = new() { Embedding = 256, FeedForward = 512, Layers = 4, Heads = 4, KvHeads = 2, Vocabulary = 256, Seed = 21 };
    private readonly string _input;

    public QuantizationOptionsOracleTests()
    {
        // general.file_type sits in the middle here, so its move to the end is checked too.
        _input = new SyntheticLlamaModel
        {
            Embedding = 256, FeedForward = 512, Layers = 4, Heads = 4, KvHeads = 2, Vocabulary = 256, Seed = 21,
            ExtraMetadata = [GgufMetadataEntry.Create("general.quantization_version", GgufValueType.UInt32, 1u), GgufMetadataEntry.Create("zz.after", "x")],
        }.Write(_dir.File("in.gguf"));
    }

    public void Dispose() => _dir.Dispose();

    private void AssertMatches(QuantizationOptions options, string tag, string? input = null)
    {
        input ??= _input;
        string expected = _dir.File(tag + "-llama.gguf");
        string actual = _dir.File(tag + "-ours.gguf");
        Assert.Equal(0u, ModelComparison.QuantizeWithLlamaCpp(input, expected, options));
        ModelComparison.Quantize(input, actual, options);
        ModelComparison.AssertSameFile(expected, actual, tag);
    }

    private static QuantizationPreset P(string name) => QuantizationPreset.Parse(name);

    [Fact]
    public void OutputAndTokenEmbeddingTypes() =>
        AssertMatches(new QuantizationOptions { Preset = P("Q4_K_M"), OutputTensorType = GgmlType.Q8_0, TokenEmbeddingType = GgmlType.Q5_0 }, "forced");

    [Fact]
    public void TensorTypeOverridesFirstMatchWins() =>
        AssertMatches(new QuantizationOptions
        {
            Preset = P("Q4_K_M"),
            TensorTypes =
            [
                new(@"blk\.[01]\.ffn_down", GgmlType.Q8_0),
                new("ffn_down", GgmlType.Q2_K),
                new("ATTN_Q", GgmlType.Q5_1),
            ],
        }, "overrides");

    [Fact]
    public void PureAndLeaveOutputTensor() =>
        AssertMatches(new QuantizationOptions { Preset = P("Q3_K_M"), Pure = true, LeaveOutputTensor = true }, "pure");

    [Fact]
    public void MetadataOverridesAreWrittenAsLlamaCppWritesThem() =>
        AssertMatches(new QuantizationOptions
        {
            Preset = P("Q8_0"),
            MetadataOverrides = [new("general.name", "renamed"), new("test.count", -7), new("test.ratio", 0.25), new("test.flag", true)],
        }, "kv");

    [Fact]
    public void RequantizingNeedsPermissionAndThenMatches()
    {
        string q8 = _dir.File("q8.gguf");
        ModelComparison.Quantize(_input, q8, new QuantizationOptions { Preset = P("Q8_0") });
        using (var file = GgufFile.Open(q8))
        {
            var refused = Assert.Throws<InvalidOperationException>(() => QuantizationPlanner.Create(file, new QuantizationOptions { Preset = P("Q4_K_M") }));
            Assert.Contains("AllowRequantize", refused.Message);
        }
        AssertMatches(new QuantizationOptions { Preset = P("Q4_K_M"), AllowRequantize = true }, "requant", q8);
    }

    [Fact]
    public void IncludeAndExcludeWeightsFilterTheImportanceMatrix()
    {
        var matrix = ImportanceMatrix.FromValues("m.dat", _model.ImportanceMatrix(), ["data.txt"], 3);
        AssertMatches(new QuantizationOptions { Preset = P("Q4_K_S"), ImportanceMatrix = matrix, IncludeWeights = ["ffn_down", "attn_v"] }, "include");
        AssertMatches(new QuantizationOptions { Preset = P("Q4_K_S"), ImportanceMatrix = matrix, ExcludeWeights = ["ffn_"] }, "exclude");
    }

    [Theory]
    [InlineData("Q4_K_M")]
    [InlineData("Q3_K_S")]
    [InlineData("IQ4_XS")]
    public void MixtureOfExpertsWithImportanceMatches(string preset)
    {
        // 3-D expert tensors: rows of every expert, the expert's own slice of importance, layers taken from the names.
        var model = new SyntheticLlamaModel { Embedding = 256, FeedForward = 256, Layers = 2, Heads = 4, KvHeads = 1, Vocabulary = 256, Experts = 4, Seed = 31 };
        string input = model.Write(_dir.File("moe.gguf"));
        var matrix = ImportanceMatrix.FromValues("moe.imatrix", model.ImportanceMatrix(), ["moe.txt"], 5);
        AssertMatches(new QuantizationOptions { Preset = P(preset) }, "moe-" + preset, input);
        AssertMatches(new QuantizationOptions { Preset = P(preset), ImportanceMatrix = matrix }, "moe-imatrix-" + preset, input);
    }

    [Fact]
    public void Bf16SourceAndCustomAlignment()
    {
        string input = new SyntheticLlamaModel
        {
            Layers = 2, WeightType = GgmlType.BF16, Seed = 41,
            ExtraMetadata = [GgufMetadataEntry.Create("general.alignment", GgufValueType.UInt32, 64u)],
        }.Write(_dir.File("bf16.gguf"));
        AssertMatches(new QuantizationOptions { Preset = P("Q5_K_M") }, "bf16", input);
        AssertMatches(new QuantizationOptions { Preset = P("F16") }, "bf16-f16", input);
    }

    [Fact]
    public void CopyKeepsEveryTensor() =>
        AssertMatches(new QuantizationOptions { Preset = P("COPY") }, "copy");

    [Fact]
    public void Stories260KWhereLlamaCppSucceedsMatches()
    {
        foreach (string preset in new[] { "Q4_K_M", "Q2_K", "F16", "COPY" })
        {
            AssertMatches(new QuantizationOptions { Preset = P(preset) }, "stories-" + preset, FixturePaths.Stories260K);
        }
    }

    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    [InlineData("IQ4_NL")]
    public void Stories260KWhereLlamaCppFailsStillGivesAValidFile(string preset)
    {
        var options = new QuantizationOptions { Preset = P(preset) };
        Assert.NotEqual(0u, ModelComparison.QuantizeWithLlamaCpp(FixturePaths.Stories260K, _dir.File("llama.gguf"), options));
        string output = _dir.File($"stories-{preset}.gguf");
        var plan = ModelComparison.Quantize(FixturePaths.Stories260K, output, options);
        // ffn_down rows of 172 fit no 32-wide block; llama.cpp has no fallback for them, ours keeps F32 (the source type).
        foreach (var t in plan.Tensors.Where(t => t.Name.EndsWith("ffn_down.weight", StringComparison.Ordinal)))
        {
            Assert.Equal(GgmlType.F32, t.TargetType);
            Assert.True(t.IsFallback);
        }
        Assert.Equal(5, plan.Warnings.Count(w => w.Contains("ffn_down", StringComparison.Ordinal) && w.Contains("F32", StringComparison.Ordinal)));
        using var model = Oracle.LlamaCppOracle.LoadModel(output);
        Assert.NotNull(model);
    }
}
