using System.Buffers.Binary;
using System.Text;
using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>Both importance matrix formats, normalized as llama-quantize normalizes them, and their bad inputs.</summary>
public class ImportanceMatrixTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>llama.cpp's legacy layout: count; per entry name length, name, ncall, nval, values; then chunks and dataset.</summary>
    internal static byte[] Legacy(IEnumerable<(string Name, int Calls, float[] Sums)> entries, int? chunks = null, string? dataset = null)
    {
        var list = entries.ToList();
        using var stream = new MemoryStream();
        void Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, v);
            stream.Write(b);
        }
        Int(list.Count);
        foreach (var (name, calls, sums) in list)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            Int(bytes.Length);
            stream.Write(bytes);
            Int(calls);
            Int(sums.Length);
            foreach (float f in sums)
            {
                Int(BitConverter.SingleToInt32Bits(f));
            }
        }
        if (chunks is { } c)
        {
            Int(c);
            var d = Encoding.UTF8.GetBytes(dataset ?? "");
            Int(d.Length);
            stream.Write(d);
        }
        return stream.ToArray();
    }

    /// <summary>llama-imatrix's GGUF layout: &lt;name&gt;.in_sum2 [n, experts] and &lt;name&gt;.counts [1, experts], plus imatrix.* metadata.</summary>
    internal static void WriteGguf(string path, IEnumerable<(string Name, float[] Sums, float[] Counts)> entries, bool withMetadata = true)
    {
        var list = entries.ToList();
        var metadata = new List<GgufMetadataEntry> { GgufMetadataEntry.Create("general.type", "imatrix") };
        if (withMetadata)
        {
            metadata.Add(GgufMetadataEntry.Create("imatrix.datasets", new[] { "calibration.txt" }));
            metadata.Add(GgufMetadataEntry.Create("imatrix.chunk_count", GgufValueType.UInt32, 42u));
            metadata.Add(GgufMetadataEntry.Create("imatrix.chunk_size", GgufValueType.UInt32, 512u));
        }
        var tensors = new List<GgufTensorDescriptor>();
        foreach (var (name, sums, counts) in list)
        {
            tensors.Add(new GgufTensorDescriptor(name + ".in_sum2", GgmlType.F32, [sums.Length / counts.Length, counts.Length]));
            tensors.Add(new GgufTensorDescriptor(name + ".counts", GgmlType.F32, [1, counts.Length]));
        }
        using var writer = new GgufWriter(path, overwrite: true);
        writer.WriteHeader(metadata, tensors);
        foreach (var (_, sums, counts) in list)
        {
            writer.WriteTensorData(SyntheticLlamaModel.Bytes(sums));
            writer.WriteTensorData(SyntheticLlamaModel.Bytes(counts));
        }
        writer.Commit();
    }

    [Fact]
    public void LegacyValuesAreDividedByTheirCallCount()
    {
        string path = _dir.File("m.dat");
        File.WriteAllBytes(path, Legacy([("blk.0.ffn_down.weight", 4, [4f, 2f, 1f, 0f]), ("never.called", 0, [3f])], 97, "wiki.train.raw"));
        var m = ImportanceMatrix.Load(path, "m.dat");
        Assert.True(m.IsLegacy);
        Assert.True(m.TryGetWeights("blk.0.ffn_down.weight", out var w));
        Assert.Equal([1f, 0.5f, 0.25f, 0f], w);
        Assert.True(m.TryGetWeights("never.called", out var raw));
        Assert.Equal([3f], raw);
        Assert.Equal(97, m.ChunkCount);
        Assert.Equal(["wiki.train.raw"], m.Datasets);
        Assert.Equal("m.dat", m.Path);
    }

    [Fact]
    public void LegacyWithoutTrailerIsAccepted()
    {
        string path = _dir.File("old.dat");
        File.WriteAllBytes(path, Legacy([("a.weight", 1, [1f, 2f])]));
        var m = ImportanceMatrix.Load(path);
        Assert.Equal(0, m.ChunkCount);
        Assert.Empty(m.Datasets);
        Assert.Equal(1, m.Count);
    }

    [Fact]
    public void GgufValuesAreSumsOverCountsPerExpert()
    {
        string path = _dir.File("m.gguf");
        WriteGguf(path, [("blk.0.ffn_up.weight", [2f, 4f, 6f, 8f, 1f, 1f], [2f, 0f]), ("blk.0.attn_q.weight", [9f, 3f], [3f])]);
        var m = ImportanceMatrix.Load(path);
        Assert.False(m.IsLegacy);
        Assert.True(m.TryGetWeights("blk.0.ffn_up.weight", out var up));
        // A matrix that was never hit (count 0) gets weights of 1, as llama-quantize gives it.
        Assert.Equal([1f, 2f, 3f, 1f, 1f, 1f], up);
        Assert.True(m.TryGetWeights("blk.0.attn_q.weight", out var q));
        Assert.Equal([3f, 1f], q);
        Assert.Equal(42, m.ChunkCount);
        Assert.Equal(["calibration.txt"], m.Datasets);
    }

    [Fact]
    public void FiltersKeepOrDropBySubstring()
    {
        var m = ImportanceMatrix.FromValues("x", new Dictionary<string, float[]> { ["blk.0.ffn_up.weight"] = [1f], ["blk.0.attn_q.weight"] = [1f] });
        Assert.Equal(["blk.0.ffn_up.weight"], m.Filter(["ffn"], []).TensorNames);
        Assert.Equal(["blk.0.attn_q.weight"], m.Filter([], ["ffn"]).TensorNames);
        Assert.Throws<ArgumentException>(() => m.Filter(["a"], ["b"]));
    }

    [Fact]
    public void BadFilesGiveClearErrors()
    {
        string truncated = _dir.File("truncated.dat");
        var full = Legacy([("a.weight", 1, new float[64])]);
        File.WriteAllBytes(truncated, full[..40]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(truncated)).Message);

        string lying = _dir.File("lying.dat");
        var bytes = Legacy([("a.weight", 1, [1f])]);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 + 4 + 8 + 4), int.MaxValue);
        File.WriteAllBytes(lying, bytes);
        Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(lying));

        string empty = _dir.File("empty.dat");
        File.WriteAllBytes(empty, new byte[4]);
        Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(empty));

        string nan = _dir.File("nan.dat");
        File.WriteAllBytes(nan, Legacy([("a.weight", 1, [float.NaN])]));
        Assert.Contains("non-finite", Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(nan)).Message);

        string bare = _dir.File("bare.gguf");
        WriteGguf(bare, [("a.weight", [1f], [1f])], withMetadata: false);
        Assert.Contains("metadata", Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(bare)).Message);

        Assert.Throws<FileNotFoundException>(() => ImportanceMatrix.Load(_dir.File("missing.dat")));
    }

    [Fact]
    public void MatrixFromAFileGivesLlamaCppsOutput()
    {
        var model = new SyntheticLlamaModel { Embedding = 256, FeedForward = 256, Layers = 2, Heads = 4, KvHeads = 4, Vocabulary = 256, Seed = 5 };
        string input = model.Write(_dir.File("in.gguf"));
        string path = _dir.File("model.imatrix.dat");
        var values = model.ImportanceMatrix();
        File.WriteAllBytes(path, Legacy(values.Select(kv => (kv.Key, 1, kv.Value)), 12, "train.txt"));
        var options = new QuantizationOptions { Preset = QuantizationPreset.Parse("Q4_K_M"), ImportanceMatrix = ImportanceMatrix.Load(path, "model.imatrix.dat") };
        Assert.Equal(0u, ModelComparison.QuantizeWithLlamaCpp(input, _dir.File("llama.gguf"), options));
        ModelComparison.Quantize(input, _dir.File("ours.gguf"), options);
        ModelComparison.AssertSameFile(_dir.File("llama.gguf"), _dir.File("ours.gguf"), "imatrix file");
        using var output = GgufFile.Open(_dir.File("ours.gguf"));
        Assert.Equal("model.imatrix.dat", output.Metadata.GetString("quantize.imatrix.file"));
        Assert.Equal("train.txt", output.Metadata.GetString("quantize.imatrix.dataset"));
        Assert.Equal(values.Count, output.Metadata.GetInteger("quantize.imatrix.entries_count"));
        Assert.Equal(12, output.Metadata.GetInteger("quantize.imatrix.chunks_count"));
    }
}
