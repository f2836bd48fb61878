using GgufPs.Conversion;
using GgufPs.Oracle;

namespace GgufPs.Tests.Conversion;

/// <summary>
/// Convert-Model's split output, as convert_hf_to_gguf's --split-max-tensors/--split-max-size with gguf-py's writer:
/// shards built here from gguf-py's rules out of the unsplit conversion, byte for byte, and a set llama.cpp loads.
/// </summary>
public class ConversionSplitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string? _folder;

    private ConversionPlan Plan(string name) =>
        ModelConverter.Plan(_folder ??= ConversionFixtures.TinyRandomLlama(_dir), new ConversionOptions { OutputType = ConversionOutputType.F32, OutputPath = _dir.File(name) });

    /// <summary>gguf-py's add_tensor_info: a new shard when the current one is full by count or would overflow by (unpadded) bytes.</summary>
    private static List<List<GgufTensorInfo>> Shards(IReadOnlyList<GgufTensorInfo> tensors, int maxTensors, long maxBytes)
    {
        var shards = new List<List<GgufTensorInfo>> { new() };
        foreach (var t in tensors)
        {
            var last = shards[^1];
            if (last.Count > 0 && ((maxTensors != 0 && last.Count >= maxTensors) || (maxBytes != 0 && last.Sum(x => x.ByteSize) + t.ByteSize > maxBytes)))
            {
                shards.Add([]);
            }
            shards[^1].Add(t);
        }
        return shards;
    }

    [Theory]
    [InlineData(5, 0)]
    [InlineData(0, 100_000)]
    [InlineData(3, 150_000)]
    public void ShardsAreWhatGgufPyWrites(int maxTensors, long maxBytes)
    {
        string whole;
        using (var plan = Plan("whole.gguf"))
        {
            GgufModelWriter.Write(plan, overwrite: false);
            whole = plan.OutputPath;
        }
        IReadOnlyList<ConversionSplitPart> parts;
        using (var plan = Plan("model.gguf"))
        {
            parts = ConversionSplit.Plan(plan, maxTensors == 0 ? null : maxTensors, maxBytes == 0 ? null : maxBytes);
            GgufModelWriter.WriteSplit(plan, parts, overwrite: false);
        }

        using var reference = GgufFile.Open(whole);
        var shards = Shards(reference.Tensors, maxTensors, maxBytes);
        Assert.True(shards.Count > 1);
        Assert.Equal(shards.Count, parts.Count);
        for (int i = 0; i < shards.Count; i++)
        {
            Assert.Equal(_dir.File($"model-{i + 1:D5}-of-{shards.Count:D5}.gguf"), parts[i].Path);
            var metadata = new List<GgufMetadataEntry>(i == 0 ? reference.Metadata : [])
            {
                GgufMetadataEntry.Create("split.no", GgufValueType.UInt16, (ushort)i),
                GgufMetadataEntry.Create("split.count", GgufValueType.UInt16, (ushort)shards.Count),
                GgufMetadataEntry.Create("split.tensors.count", GgufValueType.Int32, reference.Tensors.Count),
            };
            string expected = _dir.File($"expected-{i}.gguf");
            using (var writer = new GgufWriter(expected))
            {
                writer.WriteHeader(metadata, shards[i].Select(GgufTensorDescriptor.From).ToList());
                foreach (var t in shards[i])
                {
                    writer.WriteTensorData(reference.GetTensorData(t));
                }
                writer.Commit();
            }
            Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(parts[i].Path));
            Assert.Equal(parts[i].PredictedSize, new FileInfo(parts[i].Path).Length);
        }

        // llama.cpp loads the set from its first shard, and we read it as the unsplit model.
        using (var model = LlamaCppOracle.LoadModelWithF32Cache(parts[0].Path))
        {
            Assert.NotNull(model);
        }
        using var set = GgufFile.Open(parts[^1].Path);
        Assert.Equal(reference.Tensors.Select(t => t.Name), set.Tensors.Select(t => t.Name));
        Assert.All(set.Tensors, t => Assert.True(set.GetTensorData(t).SequenceEqual(reference.GetTensorData(reference.FindTensor(t.Name)!))));
    }

    [Fact]
    public void APlanThatFitsInOneShardIsOneOrdinaryFile()
    {
        using var plan = Plan("model.gguf");
        var parts = ConversionSplit.Plan(plan, 1000, ConversionSplit.ParseSize("1G"));
        var part = Assert.Single(parts);
        Assert.Equal(plan.OutputPath, part.Path);
        Assert.Same(plan.Metadata, part.Metadata);
    }

    [Fact]
    public void NothingIsLeftBehindWhenAShardExists()
    {
        using var plan = Plan("model.gguf");
        var parts = ConversionSplit.Plan(plan, 5, null);
        File.WriteAllText(parts[1].Path, "keep");
        Assert.Throws<GgufPs.Workflow.OutputExistsException>(() => GgufModelWriter.WriteSplit(plan, parts, overwrite: false));
        Assert.Equal("keep", File.ReadAllText(parts[1].Path));
        Assert.False(File.Exists(parts[0].Path));
    }

    [Theory]
    [InlineData("100K", 100_000)]
    [InlineData("2M", 2_000_000)]
    [InlineData("5G", 5_000_000_000)]
    [InlineData("12345", 12345)]
    public void SizesAreTheConvertersDecimalUnits(string text, long bytes) => Assert.Equal(bytes, ConversionSplit.ParseSize(text));

    [Theory]
    [InlineData("2m")]
    [InlineData("1.5G")]
    [InlineData("-3M")]
    public void BadSizesAreRefused(string text) => Assert.Throws<ArgumentException>(() => ConversionSplit.ParseSize(text));
}
