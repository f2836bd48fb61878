using GgufPs.Oracle;

namespace GgufPs.Tests.Gguf;

public class GgufWriterTests
{
    public static TheoryData<string> Fixtures() => GgufReaderOracleTests.Fixtures();

    private static void CopyUnchanged(string source, string target)
    {
        using var file = GgufFile.Open(source);
        using var writer = new GgufWriter(target);
        writer.WriteHeader(file.Metadata.ToList(), file.Tensors.Select(GgufTensorDescriptor.From).ToList(), file.Version);
        foreach (var tensor in file.Tensors)
        {
            writer.WriteTensorData(file.GetTensorData(tensor));
        }
        writer.Commit();
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void RoundTripIsByteIdentical(string fixture)
    {
        using var dir = new TempDirectory();
        string copy = dir.File("copy.gguf");
        CopyUnchanged(FixturePaths.Get(fixture), copy);
        Assert.Equal(File.ReadAllBytes(FixturePaths.Get(fixture)), File.ReadAllBytes(copy));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void RoundTripOpensInGgufInitFromFile(string fixture)
    {
        using var dir = new TempDirectory();
        string copy = dir.File("copy.gguf");
        CopyUnchanged(FixturePaths.Get(fixture), copy);
        var snapshot = LlamaCppOracle.ReadGguf(copy);
        Assert.NotNull(snapshot);
        using var file = GgufFile.Open(copy);
        Assert.Equal(file.Tensors.Count, snapshot.Tensors.Count);
        Assert.Equal(file.Metadata.Count, snapshot.Entries.Count);
    }

    [Theory]
    [InlineData("models/stories260K/stories260K.gguf")]
    [InlineData("models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf")]
    public void RoundTrippedModelLoadsInLlamaCpp(string fixture)
    {
        using var dir = new TempDirectory();
        string copy = dir.File("copy.gguf");
        CopyUnchanged(FixturePaths.Get(fixture), copy);
        using var model = LlamaCppOracle.LoadModel(copy, contextLength: 64);
        Assert.NotNull(model);
        var logits = model.EvaluateAll([1, 2, 3]);
        Assert.Equal(3 * model.VocabularySize, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void EveryValueTypeWrittenFromValuesReadsBackInLlamaCppAndOurs()
    {
        using var dir = new TempDirectory();
        string path = dir.File("values.gguf");
        var metadata = new List<GgufMetadataEntry>
        {
            GgufMetadataEntry.Create("general.architecture", "llama"),
            GgufMetadataEntry.Create("t.u8", (byte)200),
            GgufMetadataEntry.Create("t.i8", (sbyte)-5),
            GgufMetadataEntry.Create("t.u16", (ushort)60000),
            GgufMetadataEntry.Create("t.i16", (short)-30000),
            GgufMetadataEntry.Create("t.u32", 4_000_000_000u),
            GgufMetadataEntry.Create("t.i32", -2_000_000_000),
            GgufMetadataEntry.Create("t.f32", 1.5f),
            GgufMetadataEntry.Create("t.bool", true),
            GgufMetadataEntry.Create("t.string", "héllo ▁ wörld"),
            GgufMetadataEntry.Create("t.u64", ulong.MaxValue),
            GgufMetadataEntry.Create("t.i64", long.MinValue),
            GgufMetadataEntry.Create("t.f64", Math.PI),
            GgufMetadataEntry.Create("t.strings", new[] { "a", "", "ü" }),
            GgufMetadataEntry.Create("t.floats", new[] { 0.5f, -2f }),
            GgufMetadataEntry.Create("t.ints", new[] { 1, -1, int.MaxValue }),
            GgufMetadataEntry.Create("t.bools", new[] { true, false }),
            GgufMetadataEntry.Create("t.u64s", new ulong[] { 1, 2 }),
            GgufMetadataEntry.Create("t.converted", GgufValueType.UInt32, 7),
        };
        var tensors = new List<GgufTensorDescriptor>
        {
            new("a", GgmlType.F32, [3]),
            new("b", GgmlType.F16, [4, 2]),
            new("c", GgmlType.Q8_0, [32, 1]),
        };
        using (var writer = new GgufWriter(path))
        {
            writer.WriteHeader(metadata, tensors);
            writer.WriteTensorData(new byte[12]);
            writer.WriteTensorData(new byte[8]);
            writer.WriteTensorData(new byte[8]);
            writer.WriteTensorData(new byte[34]);
            writer.Commit();
        }
        Assert.Equal(GgufWriter.PredictSize(metadata, tensors), new FileInfo(path).Length);

        var snapshot = LlamaCppOracle.ReadGguf(path);
        Assert.NotNull(snapshot);
        using var file = GgufFile.Open(path);
        foreach (var (want, got) in metadata.Zip(file.Metadata))
        {
            Assert.Equal(want.Key, got.Key);
            Assert.Equal(want.Value, got.Value);
        }
        foreach (var (ours, theirs) in file.Metadata.Zip(snapshot.Entries))
        {
            Assert.Equal(ours.Key, theirs.Key);
            Assert.Equal(ours.ValueType, theirs.Type);
            Assert.Equal(ours.Value, theirs.Value);
        }
        Assert.Equal(["a", "b", "c"], snapshot.Tensors.Select(t => t.Name));
        Assert.Equal([0L, 32L, 64L], snapshot.Tensors.Select(t => t.Offset));
    }

    [Fact]
    public void UncommittedWriteLeavesNoFileAndKeepsTheTarget()
    {
        using var dir = new TempDirectory();
        string target = dir.File("model.gguf");
        File.WriteAllText(target, "original");
        using (var writer = new GgufWriter(target, overwrite: true))
        {
            writer.WriteHeader([GgufMetadataEntry.Create("general.architecture", "llama")], [new GgufTensorDescriptor("a", GgmlType.F32, [4])]);
            writer.WriteTensorData(new byte[8]);
            Assert.True(File.Exists(writer.TemporaryPath));
            Assert.StartsWith(target + ".tmp-", writer.TemporaryPath);
        }
        Assert.Equal("original", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ExistingTargetIsRefusedWithoutOverwrite()
    {
        using var dir = new TempDirectory();
        string target = dir.File("model.gguf");
        File.WriteAllText(target, "original");
        Assert.Throws<IOException>(() => new GgufWriter(target));
        Assert.Equal("original", File.ReadAllText(target));
    }

    [Fact]
    public void CommitRefusesAnIncompleteTensor()
    {
        using var dir = new TempDirectory();
        string target = dir.File("model.gguf");
        using var writer = new GgufWriter(target);
        writer.WriteHeader([], [new GgufTensorDescriptor("a", GgmlType.F32, [4])]);
        writer.WriteTensorData(new byte[4]);
        Assert.Throws<InvalidOperationException>(writer.Commit);
        Assert.Throws<InvalidOperationException>(() => writer.WriteTensorData(new byte[13]));
        writer.Dispose();
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void DescriptorRejectsWhatLlamaCppCannotRead()
    {
        Assert.Throws<ArgumentException>(() => new GgufTensorDescriptor(new string('x', 64), GgmlType.F32, [1]));
        Assert.Throws<ArgumentException>(() => new GgufTensorDescriptor("a", GgmlType.Q4_K, [100, 2]));
        Assert.Throws<ArgumentException>(() => new GgufTensorDescriptor("a", GgmlType.F32, [1, 1, 1, 1, 1]));
        Assert.Throws<ArgumentException>(() => new GgufTensorDescriptor("a", (GgmlType)99, [1]));
    }
}
