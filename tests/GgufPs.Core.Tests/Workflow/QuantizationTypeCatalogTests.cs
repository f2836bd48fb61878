using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

/// <summary>The catalogue is the presets' own data, described completely.</summary>
public class QuantizationTypeCatalogTests
{
    [Fact]
    public void DescribesEveryPresetInOrder()
    {
        Assert.Equal(QuantizationPreset.All.Select(p => p.Name), QuantizationTypeCatalog.All.Select(t => t.Name));
        foreach (var type in QuantizationTypeCatalog.All)
        {
            var preset = QuantizationPreset.Parse(type.Name);
            Assert.Same(preset, type.Preset);
            Assert.Equal(preset.Description, type.Description);
            Assert.Equal(preset.BitsPerWeight, type.BitsPerWeight);
            Assert.Equal(GgmlTypeInfo.Get(preset.DefaultType).BlockSize, type.BlockSize);
            Assert.Equal(GgmlTypeInfo.Get(preset.DefaultType).TypeSize, type.BlockBytes);
            Assert.False(string.IsNullOrWhiteSpace(type.Layout));
            // A use case of its own, not llama-quantize's description repeated.
            Assert.NotEqual(preset.Description, type.UseCase);
        }
    }

    [Fact]
    public void MarksTheTypesLlamaCppRefusesWithoutAnImportanceMatrix()
    {
        var required = QuantizationTypeCatalog.All.Where(t => t.RequiresImportanceMatrix).Select(t => t.Name).ToList();
        Assert.Contains("Q2_K_S", required);
        Assert.DoesNotContain("Q2_K", required);
        Assert.DoesNotContain("Q4_K_M", required);
        Assert.DoesNotContain("IQ4_XS", required);
        // As QuantizationPlanner (and llama.cpp) decide for a model with the usual tensors.
        Assert.Equal(["IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ1_S", "IQ1_M", "Q2_K_S", "IQ3_XXS", "IQ3_XS"], required);
    }

    [Fact]
    public void FindsTypesCaseInsensitively()
    {
        Assert.True(QuantizationTypeCatalog.TryGet("q4_k_m", out var type));
        Assert.Equal("Q4_K_M", type.Name);
        Assert.True(QuantizationTypeCatalog.TryGet("Q4_K", out var alias));
        Assert.Equal("Q4_K_M", alias.AliasOf);
        Assert.False(QuantizationTypeCatalog.TryGet("Q4_K_X", out _));
    }
}
