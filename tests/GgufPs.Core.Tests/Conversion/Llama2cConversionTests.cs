using GgufPs.Conversion;
using GgufPs.Oracle;

namespace GgufPs.Tests.Conversion;

/// <summary>stories260K.bin + tok512.bin against the stories260K.gguf that llama.cpp's convert-llama2c-to-ggml wrote.</summary>
public class Llama2cConversionTests
{
    [Fact]
    public void ReproducesStories260KByteForByte()
    {
        using var temp = new TempDirectory();
        string output = temp.File("stories260K.gguf");
        using (var plan = ModelConverter.Plan(ConversionFixtures.Stories260KBin, new ConversionOptions { OutputType = ConversionOutputType.Auto, OutputPath = output }))
        {
            Assert.Equal(ConversionOutputType.F32, plan.OutputType);
            Assert.Equal(48, plan.Tensors.Count);
            GgufModelWriter.Write(plan, overwrite: false);
            Assert.Equal(plan.PredictedSize, new FileInfo(output).Length);
        }

        var expected = LlamaCppOracle.ReadGguf(FixturePaths.Stories260K)!;
        var actual = LlamaCppOracle.ReadGguf(output)!;
        Assert.Equal(expected.Entries.Select(e => (e.Key, e.Type, e.ElementType)), actual.Entries.Select(e => (e.Key, e.Type, e.ElementType)));
        foreach (var (want, got) in expected.Entries.Zip(actual.Entries))
        {
            Assert.Equal(want.Value, got.Value);
        }
        Assert.Equal(expected.Tensors, actual.Tensors);
        Assert.Equal(File.ReadAllBytes(FixturePaths.Stories260K), File.ReadAllBytes(output));
    }

    [Fact]
    public void F16OutputLoadsAndKeepsNormsF32()
    {
        using var temp = new TempDirectory();
        using var plan = Llama2cConverter.Plan(ConversionFixtures.Stories260KBin,
            new ConversionOptions { OutputType = ConversionOutputType.F16, OutputPath = temp.File("s-{ftype}.gguf"), TokenizerPath = ConversionFixtures.Tok512Bin });
        Assert.EndsWith("s-f16.gguf", plan.OutputPath);
        Assert.All(plan.Tensors, t => Assert.Equal(t.Shape.Length == 1 ? GgmlType.F32 : GgmlType.F16, t.Type));
        GgufModelWriter.Write(plan, overwrite: false);
        using var model = LlamaCppOracle.LoadModel(plan.OutputPath, contextLength: 64);
        Assert.NotNull(model);
        Assert.Equal(512, model.VocabularySize);
    }

    [Fact]
    public void TruncatedCheckpointIsRejected()
    {
        using var temp = new TempDirectory();
        string bin = temp.File("model.bin");
        var bytes = File.ReadAllBytes(ConversionFixtures.Stories260KBin);
        File.WriteAllBytes(bin, bytes[..(bytes.Length - 100)]);
        File.Copy(ConversionFixtures.Tok512Bin, temp.File("tok512.bin"));
        var ex = Assert.Throws<ModelFormatException>(() => Llama2cConverter.Plan(bin, new ConversionOptions()));
        Assert.Contains("truncated", ex.Message);
    }
}
