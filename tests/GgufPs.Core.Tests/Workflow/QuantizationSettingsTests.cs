using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class QuantizationSettingsTests
{
    private static readonly KeyValuePair<string, object>[] None = [];

    [Fact]
    public void ParsesTheOverridesAndCarriesThemIntoEachFilesOptions()
    {
        var settings = QuantizationSettings.Parse("q8_0", "Q6_K", [new("attn_v", "q8_0")], true, [new("general.name", "x")], ["attn_*"], [])
            with { Pure = true, Threads = 3 };
        var preset = QuantizationPreset.Parse("Q4_K_M");
        var options = settings.OptionsFor(preset, null, keepSplit: true);
        Assert.Equal(GgmlType.Q8_0, options.OutputTensorType);
        Assert.Equal(GgmlType.Q6_K, options.TokenEmbeddingType);
        Assert.Equal(GgmlType.Q8_0, Assert.Single(options.TensorTypes).Value);
        Assert.Single(options.MetadataOverrides);
        Assert.Equal(["attn_*"], options.IncludeWeights);
        Assert.True(options.Pure);
        Assert.True(options.KeepSplit);
        Assert.Equal(3, options.Threads);
        Assert.Same(preset, options.Preset);
        Assert.True(settings.ChoosesWeights);
    }

    [Fact]
    public void IncludeAndExcludeTogetherAreRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => QuantizationSettings.Parse(null, null, None, false, None, ["a"], ["b"]));
        Assert.Equal("Use -IncludeWeights or -ExcludeWeights, not both.", ex.Message);
    }

    [Fact]
    public void AnUnknownTypeIsRefusedNamingTheParameter()
    {
        var ex = Assert.ThrowsAny<Exception>(() => QuantizationSettings.Parse("Q9_X", null, None, false, None, [], []));
        Assert.Contains("-OutputTensorType", ex.Message);
    }

    [Fact]
    public void NothingGivenChangesNothing()
    {
        var settings = QuantizationSettings.Parse(null, null, None, false, None, [], []);
        Assert.Null(settings.OutputTensorType);
        Assert.Empty(settings.TensorTypes);
        Assert.False(settings.ChoosesWeights);
    }
}
