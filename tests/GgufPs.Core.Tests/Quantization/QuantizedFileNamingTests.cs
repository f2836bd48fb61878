using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

public class QuantizedFileNamingTests
{
    [Theory]
    [InlineData("model-f16.gguf", "Q4_K_M", "model-Q4_K_M.gguf")]
    [InlineData("llama-2-7b.F16.gguf", "Q8_0", "llama-2-7b.Q8_0.gguf")]
    [InlineData("ggml-model-f32.gguf", "Q6_K", "ggml-model-Q6_K.gguf")]
    [InlineData("mistral-bf16.gguf", "IQ4_XS", "mistral-IQ4_XS.gguf")]
    [InlineData("model-Q8_0.gguf", "Q4_0", "model-Q4_0.gguf")]
    [InlineData("stories260K.gguf", "Q4_K_M", "stories260K-Q4_K_M.gguf")]
    [InlineData("f16ish-model.gguf", "Q5_0", "f16ish-model-Q5_0.gguf")]
    [InlineData("model-f16-v2.gguf", "Q5_1", "model-Q5_1-v2.gguf")]
    [InlineData("weights", "Q8_0", "weights-Q8_0.gguf")]
    public void ReplacesTheTypePartOrAddsOne(string input, string type, string expected) =>
        Assert.Equal(expected, QuantizedFileNaming.DefaultOutputName(input, type));

    [Fact]
    public void StaysBesideTheInput() =>
        Assert.Equal(Path.Combine(Path.GetFullPath("/models"), "m-Q8_0.gguf"), QuantizedFileNaming.DefaultOutputPath("/models/m-f16.gguf", "Q8_0"));

    [Fact]
    public void NamesASplitSetsOutputAfterTheSet() =>
        Assert.Equal(Path.Combine(Path.GetFullPath("/models"), "m-Q4_K_M.gguf"), QuantizedFileNaming.OutputPathFor("/models/m-F16-00002-of-00003.gguf", "Q4_K_M", null, 1));

    [Fact]
    public void WritesIntoAnOutputFolderUnderTheDefaultName()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            Assert.Equal(Path.Combine(folder, "m-Q8_0.gguf"), QuantizedFileNaming.OutputPathFor("/models/m-f16.gguf", "Q8_0", folder, 3));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public void TakesAnOutputFileOnlyForOneType()
    {
        string file = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "out.gguf");
        Assert.Equal(file, QuantizedFileNaming.OutputPathFor("/models/m-f16.gguf", "Q8_0", file, 1));
        Assert.Throws<ArgumentException>(() => QuantizedFileNaming.OutputPathFor("/models/m-f16.gguf", "Q8_0", file, 2));
    }
}
