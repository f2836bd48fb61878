using GgufPs.Oracle;

namespace GgufPs.Tests.Gguf;

/// <summary>Our reader against llama.cpp's gguf_* functions, key by key and tensor by tensor.</summary>
public class GgufReaderOracleTests
{
    public static TheoryData<string> Fixtures() => new(FixturePaths.AllGguf().Select(p => Path.GetRelativePath(FixturePaths.Root, p)));

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ReaderAgreesWithGgufInitFromFile(string fixture)
    {
        string path = FixturePaths.Get(fixture);
        var expected = LlamaCppOracle.ReadGguf(path);
        Assert.NotNull(expected);

        using var file = GgufFile.Open(path);
        Assert.Equal(expected.Version, file.Version);
        Assert.Equal(expected.Alignment, file.Alignment);
        Assert.Equal(expected.DataOffset, file.DataOffset);

        Assert.Equal(expected.Entries.Select(e => e.Key), file.Metadata.Select(e => e.Key));
        foreach (var (want, got) in expected.Entries.Zip(file.Metadata))
        {
            Assert.Equal(want.Type, got.ValueType);
            Assert.Equal(want.ElementType, got.ElementType);
            Assert.Equal(want.Value, got.Value);
            if (got.ValueType == GgufValueType.Array)
            {
                Assert.Equal(((Array)want.Value).Length, got.Count);
            }
        }

        Assert.Equal(expected.Tensors.Count, file.Tensors.Count);
        foreach (var (want, got) in expected.Tensors.Zip(file.Tensors))
        {
            Assert.Equal(want.Name, got.Name);
            Assert.Equal(want.Type, (int)got.Type);
            Assert.Equal(want.Offset, got.Offset);
            Assert.Equal(want.Size, got.ByteSize);
            Assert.Equal(expected.DataOffset + want.Offset, got.FileOffset);
        }
    }
}
