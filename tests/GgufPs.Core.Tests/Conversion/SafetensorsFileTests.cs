using System.Buffers.Binary;
using System.Text;
using GgufPs.Conversion;

namespace GgufPs.Tests.Conversion;

/// <summary>The safetensors reader: tensors in name order, and a specific error for each way a header can lie.</summary>
public class SafetensorsFileTests
{
    [Fact]
    public void ListsTensorsByNameWithTheirRanges()
    {
        using var temp = new TempDirectory();
        string path = temp.File("m.safetensors");
        SafetensorsTestWriter.Write(path, [new("z.weight", [2, 3], [1, 2, 3, 4, 5, 6]), new("a.bias", [2], [7, 8])], SafetensorsDataType.F32);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["a.bias", "z.weight"], file.Tensors.Select(t => t.Name));
        var z = file.Tensors[1];
        Assert.Equal([2L, 3L], z.Shape);
        Assert.Equal(24, z.ByteLength);
        Assert.Equal(4.0f, BitConverter.ToSingle(file.GetData(z, 12, 4)));
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Theory]
    [InlineData("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}""", 8, null)]
    [InlineData("""[1, 2]""", 0, "not a JSON object")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]""", 8, "not valid JSON")]
    [InlineData("""{"t": {"shape": [2], "data_offsets": [0, 8]}}""", 8, "lacks a dtype")]
    [InlineData("""{"t": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}""", 8, "unknown dtype 'Q4'")]
    [InlineData("""{"t": {"dtype": "3", "shape": [2], "data_offsets": [0, 8]}}""", 8, "unknown dtype '3'")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}""", 8, "invalid shape")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}""", 8, "outside the 8 data bytes")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [8, 4]}}""", 8, "outside")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}""", 8, "needs 12 bytes but its data_offsets span 8")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "u": {"dtype": "F16", "shape": [2], "data_offsets": [4, 8]}}""", 8, "overlap")]
    [InlineData("""{"t": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}""", 8, "too large")]
    public void ValidatesTheHeader(string header, int dataBytes, string? problem)
    {
        using var temp = new TempDirectory();
        string path = temp.File("m.safetensors");
        File.WriteAllBytes(path, Build(header, dataBytes));
        if (problem is null)
        {
            using var ok = SafetensorsFile.Open(path);
            Assert.Single(ok.Tensors);
            return;
        }
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(problem, ex.Message);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void RejectsTruncatedFilesAndLyingHeaderLengths()
    {
        using var temp = new TempDirectory();
        string path = temp.File("m.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("fewer than the 8-byte header length", Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path)).Message);
        var bytes = Build("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}""", 8);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 5000);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("runs past the end", Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path)).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("limit", Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path)).Message);
        File.WriteAllBytes(path, Build("""{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}""", 8)[..^3]);
        Assert.Contains("truncated", Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path)).Message);
    }

    private static byte[] Build(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }
}
