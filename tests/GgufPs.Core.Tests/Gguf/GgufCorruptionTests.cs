using System.Buffers.Binary;

namespace GgufPs.Tests.Gguf;

/// <summary>
/// Corrupt files built from valid fixtures. Each must end in a <see cref="GgufFormatException"/> that says what is
/// wrong: never another exception, a hang, or an allocation beyond the file's size.
/// </summary>
public class GgufCorruptionTests
{
    private static readonly byte[] Stories = File.ReadAllBytes(FixturePaths.Stories260K);
    private static readonly byte[] Vocab = File.ReadAllBytes(FixturePaths.VocabLlamaSpm);

    private static GgufFormatException OpenFails(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(path, ex.FilePath);
        Assert.Contains(path, ex.Message);
        return ex;
    }

    private static byte[] With(byte[] source, Action<byte[]> change)
    {
        var copy = (byte[])source.Clone();
        change(copy);
        return copy;
    }

    public static TheoryData<int> TruncationPoints()
    {
        var data = new TheoryData<int>();
        var fields = new GgufFieldLocator(Stories);
        var last = fields.Tensors[^1];
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var lastTensor = file.Tensors.MaxBy(t => t.FileOffset)!;
        long dataEnd = lastTensor.FileOffset + lastTensor.ByteSize;
        for (int i = 0; i < 20; i++)
        {
            data.Add((int)(dataEnd * i / 20));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TruncationPoints))]
    public void TruncatedFileFails(int length)
    {
        var ex = OpenFails(Stories[..length]);
        Assert.Matches("empty|truncated|magic|past the end", ex.Reason);
    }

    [Fact]
    public void TruncatedVocabularyFailsInsideTheTokenArray()
    {
        var ex = OpenFails(Vocab[..(Vocab.Length / 2)]);
        Assert.Matches("truncated|more than the file", ex.Reason);
    }

    [Fact]
    public void BadMagicFails() =>
        Assert.Contains("magic", OpenFails(With(Stories, b => b[0] = (byte)'X')).Reason);

    [Fact]
    public void NonGgufFileFails() =>
        Assert.Contains("magic", OpenFails("not a model at all"u8.ToArray()).Reason);

    [Fact]
    public void BigEndianFileFails() =>
        Assert.Contains("big-endian", OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), 3))).Reason);

    [Fact]
    public void VersionOneFails() =>
        Assert.Contains("version 1", OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 1))).Reason);

    [Fact]
    public void HugeTensorCountFails() =>
        Assert.Contains("tensor count", OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), 1UL << 62))).Reason);

    [Fact]
    public void HugeMetadataCountFails() =>
        Assert.Contains("metadata count", OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), 1UL << 62))).Reason);

    [Fact]
    public void HugeStringLengthFails()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(fields.FirstStringLength), 1UL << 62)));
        Assert.Contains("more than the file holds", ex.Reason);
    }

    [Fact]
    public void HugeKeyLengthFails()
    {
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), 1UL << 62)));
        Assert.Contains("metadata key", ex.Reason);
    }

    [Fact]
    public void HugeArrayCountFails()
    {
        var fields = new GgufFieldLocator(Vocab);
        var ex = OpenFails(With(Vocab, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(fields.FirstArrayCount), 1UL << 62)));
        Assert.Contains("more than the file can hold", ex.Reason);
    }

    [Fact]
    public void UnknownValueTypeFails()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(fields.FirstValueType), 77)));
        Assert.Contains("unknown value type 77", ex.Reason);
    }

    [Fact]
    public void HugeTensorNameLengthFails()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(fields.Tensors[0].NameLength), 1UL << 62)));
        Assert.Contains("tensor name", ex.Reason);
    }

    [Fact]
    public void OffsetPastTheEndFails()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(fields.Tensors[^1].Offset), (ulong)Stories.Length)));
        Assert.Contains("past the end", ex.Reason);
    }

    [Fact]
    public void HugeOffsetFails()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(fields.Tensors[0].Offset), ulong.MaxValue - 31)));
        Assert.Contains("past the end", ex.Reason);
    }

    [Fact]
    public void MisalignedOffsetFails()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b =>
        {
            var span = b.AsSpan(fields.Tensors[1].Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(span, BinaryPrimitives.ReadUInt64LittleEndian(span) + 4);
        }));
        Assert.Contains("alignment", ex.Reason);
    }

    [Fact]
    public void OverflowingDimensionsFail()
    {
        var fields = new GgufFieldLocator(Stories);
        var t = fields.Tensors.First(t => t.DimensionCount == 2);
        var ex = OpenFails(With(Stories, b =>
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(t.Ne0), 1UL << 40);
            BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(t.Ne0 + 8), 1UL << 40);
        }));
        Assert.Contains("overflow", ex.Reason);
    }

    [Fact]
    public void TooManyDimensionsFail()
    {
        var fields = new GgufFieldLocator(Stories);
        var ex = OpenFails(With(Stories, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(fields.Tensors[0].Dims), 5)));
        Assert.Contains("dimensions", ex.Reason);
    }

    [Fact]
    public void DuplicateTensorNamesFail()
    {
        var fields = new GgufFieldLocator(Stories);
        var k = fields.Tensors.First(t => t.Name == "blk.0.attn_k.weight");
        var ex = OpenFails(With(Stories, b => b[k.NameLength + 8 + "blk.0.attn_".Length] = (byte)'q'));
        Assert.Contains("appears twice", ex.Reason);
    }

    [Fact]
    public void UnknownTensorTypeReadsAsUnknownAndTheRestStillReads()
    {
        var fields = new GgufFieldLocator(Stories);
        using var dir = new TempDirectory();
        string path = dir.File("unknown-type.gguf");
        File.WriteAllBytes(path, With(Stories, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(fields.Tensors[0].Type), 99)));
        using var file = GgufFile.Open(path);
        Assert.Equal("Unknown(99)", file.Tensors[0].TypeName);
        Assert.Equal(0, file.Tensors[0].ByteSize);
        Assert.Equal(48, file.Tensors.Count);
        Assert.All(file.Tensors.Skip(1), t => Assert.Equal(GgmlType.F32, t.Type));
    }

    [Fact]
    public void RandomByteDamageInTheHeaderNeverEscapesAsAnotherException()
    {
        var fields = new GgufFieldLocator(Vocab);
        var random = new Random(1234);
        using var dir = new TempDirectory();
        string path = dir.File("fuzz.gguf");
        for (int i = 0; i < 300; i++)
        {
            var bytes = (byte[])Vocab.Clone();
            for (int k = 0; k < 1 + i % 4; k++)
            {
                int at = random.Next(0, Math.Min(fields.HeaderEnd, 4096));
                bytes[at] = (byte)random.Next(256);
            }
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = GgufFile.Open(path);
                _ = file.ToModelInfo();
            }
            catch (GgufFormatException)
            {
            }
        }
    }
}
