using GgufPs.Oracle;

namespace GgufPs.Tests;

/// <summary>Guards the hand-written struct layouts: if they were wrong, these defaults would read as garbage.</summary>
public class OracleLayoutTests
{
    [Fact]
    public void ModelParamsDefaultsReadAsLlamaCppSetsThem()
    {
        LlamaNative.EnsureLoaded();
        var p = LlamaNative.llama_model_default_params();
        Assert.Equal(-1, p.NGpuLayers);
        Assert.Equal(1, p.SplitMode);
        Assert.Equal(1, p.LoadMode);
        Assert.Equal(0, p.MainGpu);
        Assert.Equal(0, p.VocabOnly);
        Assert.Equal(1, p.UseExtraBufts);
    }

    [Fact]
    public void ContextParamsDefaultsReadAsLlamaCppSetsThem()
    {
        LlamaNative.EnsureLoaded();
        var p = LlamaNative.llama_context_default_params();
        Assert.Equal(512u, p.NCtx);
        Assert.Equal(2048u, p.NBatch);
        Assert.Equal(512u, p.NUbatch);
        Assert.Equal(1u, p.NSeqMax);
        Assert.Equal(-1, p.FlashAttnType);
        Assert.Equal((int)GgmlType.F16, p.TypeK);
        Assert.Equal((int)GgmlType.F16, p.TypeV);
        Assert.Equal(0, p.Embeddings);
    }

    [Fact]
    public unsafe void QuantizeParamsDefaultsReadAsLlamaCppSetsThem()
    {
        var p = LlamaCppOracle.DefaultQuantizeParams();
        Assert.Equal((int)LlamaFileType.MOSTLY_Q8_0, p.FType);
        Assert.Equal(1, p.QuantizeOutputTensor);
        Assert.Equal(0, p.AllowRequantize);
        Assert.True(p.Imatrix == null);
        Assert.True(p.TensorTypeOverrides == null);
    }

    [Fact]
    public void TypeTableMatchesGgml()
    {
        foreach (var info in GgmlTypeInfo.All)
        {
            int id = (int)info.Type;
            Assert.Equal(LlamaCppOracle.BlockSize(id), info.BlockSize);
            Assert.Equal(LlamaCppOracle.TypeSize(id), info.TypeSize);
            Assert.Equal(LlamaCppOracle.TypeName(id), info.Name, ignoreCase: true);
        }
    }
}
