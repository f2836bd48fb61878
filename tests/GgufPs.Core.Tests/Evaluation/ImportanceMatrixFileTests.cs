using System.Buffers.Binary;
using System.Text;
using GgufPs.Evaluation;
using GgufPs.Quantization;
using GgufPs.Oracle;
using GgufPs.Tests.Quantization;

namespace GgufPs.Tests.Evaluation;

/// <summary>The two file layouts as llama-imatrix writes them, merging as --in-file merges, and the statistics.</summary>
public class ImportanceMatrixFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ImportanceMatrixEntry[] SampleEntries() =>
    [
        new("blk.1.ffn_down.weight", [4f, 9f, 0.5f, 2f], [8]),
        new("blk.0.ffn_down.weight", [1f, 3f, 0.25f, 1f], [8]),
        new("blk.0.ffn_up_exps.weight", [6f, 2f, 7f, 7f, 0f, 0f], [3, 2, 0]),
        new("output.weight", [2.5f, 1e-7f], [5]),
    ];

    [Fact]
    public void GgufIsByteIdenticalToGgufWriteToFile()
    {
        string ours = _dir.File("ours.imatrix.gguf");
        string theirs = _dir.File("theirs.imatrix.gguf");
        string[] datasets = ["first.txt", "wiki.train.raw"];
        ImportanceMatrixWriter.WriteGguf(ours, SampleEntries(), datasets, chunkCount: 7, chunkSize: 512, overwrite: false);
        LlamaCppOracle.WriteImatrixGguf(theirs, SampleEntries(), datasets, 7, 512);
        ModelComparison.AssertSameFile(theirs, ours, "imatrix");
    }

    [Fact]
    public void GgufReadsBackAsLlamaQuantizeReadsIt()
    {
        string path = _dir.File("m.imatrix.gguf");
        ImportanceMatrixWriter.WriteGguf(path, SampleEntries(), ["d.txt"], 7, 512, overwrite: false);
        var expected = LlamaCppOracle.ReadImatrixGguf(path);
        var matrix = ImportanceMatrix.Load(path);
        Assert.Equal(expected.Keys.Order(), matrix.TensorNames.Order());
        foreach (var (name, values) in expected)
        {
            Assert.True(matrix.TryGetWeights(name, out var w));
            Assert.Equal(values, w);
        }
        Assert.Equal(7, matrix.ChunkCount);
        Assert.Equal(512, matrix.ChunkSize);
        Assert.Equal(["d.txt"], matrix.Datasets);
        var raw = matrix.Entries.Single(e => e.Name == "blk.0.ffn_up_exps.weight");
        Assert.Equal([3L, 2, 0], raw.Counts);
        Assert.Equal(2, raw.Columns);
    }

    [Fact]
    public void LegacyHasLlamaImatrixLayout()
    {
        string path = _dir.File("m.dat");
        var entries = new ImportanceMatrixEntry[]
        {
            new("blk.0.attn_q.weight", [6f, 12f], [1000]),
            new("blk.0.attn_k.weight", [1f, 1f], [0]),
            new("blk.0.ffn_up_exps.weight", [4f, 8f, 5f, 5f], [2, 0]),
        };
        ImportanceMatrixWriter.WriteLegacy(path, entries, "calibration.txt", chunkCount: 3, chunkSize: 512, overwrite: false);
        var expected = new MemoryStream();
        void Int(int v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); expected.Write(b); }
        void Floats(params float[] f) { foreach (float x in f) { Int(BitConverter.SingleToInt32Bits(x)); } }
        void Name(string s) { var b = Encoding.UTF8.GetBytes(s); Int(b.Length); expected.Write(b); }
        // Entries without any data are left out; the rest in name order, values (sum / count) × ncall, ncall = ⌈max count / 512⌉.
        Int(2);
        Name("blk.0.attn_q.weight");
        Int(2);
        Int(2);
        Floats(6f / 1000 * 2, 12f / 1000 * 2);
        Name("blk.0.ffn_up_exps.weight");
        Int(1);
        Int(4);
        Floats(2f, 4f, 1f, 1f);
        Int(3);
        Name("calibration.txt");
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));

        var read = ImportanceMatrix.Load(path);
        Assert.True(read.IsLegacy);
        Assert.True(read.TryGetWeights("blk.0.attn_q.weight", out var q));
        Assert.Equal([6f / 1000 * 2 / 2, 12f / 1000 * 2 / 2], q);
        Assert.Equal(3, read.ChunkCount);
        Assert.Equal(["calibration.txt"], read.Datasets);
    }

    [Fact]
    public void WritersRefuseToReplaceWithoutOverwrite()
    {
        string gguf = _dir.File("exists.gguf");
        string dat = _dir.File("exists.dat");
        File.WriteAllText(gguf, "keep");
        File.WriteAllText(dat, "keep");
        Assert.Throws<IOException>(() => ImportanceMatrixWriter.WriteGguf(gguf, SampleEntries(), [], 1, 512, overwrite: false));
        Assert.Throws<IOException>(() => ImportanceMatrixWriter.WriteLegacy(dat, SampleEntries(), "", 1, 512, overwrite: false));
        Assert.Equal("keep", File.ReadAllText(gguf));
        Assert.Equal("keep", File.ReadAllText(dat));
        Assert.Equal(["exists.dat", "exists.gguf"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void MergingAddsSumsAndCountsAndScalesLegacyByTheChunkSize()
    {
        string a = _dir.File("a.gguf");
        string b = _dir.File("b.dat");
        ImportanceMatrixWriter.WriteGguf(a, [new("blk.0.ffn_down.weight", [2f, 4f], [128]), new("blk.0.ffn_up_exps.weight", [1f, 1f, 2f, 2f], [64, 64])], ["a.txt"], 1, 128, overwrite: false);
        ImportanceMatrixWriter.WriteLegacy(b, [new("blk.0.ffn_down.weight", [6f, 2f], [256]), new("blk.0.attn_v.weight", [3f], [128])], "b.txt", 2, 128, overwrite: false);
        var merged = new ImportanceMatrixAccumulator(128);
        merged.Add(ImportanceMatrix.Load(a));
        merged.Add(ImportanceMatrix.Load(b));
        var e = merged.Entries().ToDictionary(x => x.Name);
        // b.dat stores (sum / count) × ncall = [6/256·2, 2/256·2] with ncall 2; read back × 128: [6, 2] over 256 rows.
        Assert.Equal([8f, 6f], e["blk.0.ffn_down.weight"].Sums);
        Assert.Equal([384L], e["blk.0.ffn_down.weight"].Counts);
        Assert.Equal([64L, 64], e["blk.0.ffn_up_exps.weight"].Counts);
        Assert.Equal([3f], e["blk.0.attn_v.weight"].Sums);
        Assert.Equal(["a.txt", "b.txt"], merged.Datasets);
        Assert.Equal(3, merged.ChunkCount);
    }

    [Fact]
    public void MergingMatricesOfDifferentModelsIsRefused()
    {
        string a = _dir.File("a.gguf");
        string b = _dir.File("b.gguf");
        ImportanceMatrixWriter.WriteGguf(a, [new("blk.0.ffn_down.weight", [2f, 4f], [1])], [], 1, 1, overwrite: false);
        ImportanceMatrixWriter.WriteGguf(b, [new("blk.0.ffn_down.weight", [2f, 4f, 5f], [1])], [], 1, 1, overwrite: false);
        var merged = new ImportanceMatrixAccumulator(512);
        merged.Add(ImportanceMatrix.Load(a));
        var ex = Assert.Throws<InvalidDataException>(() => merged.Add(ImportanceMatrix.Load(b)));
        Assert.Contains("blk.0.ffn_down.weight", ex.Message);
        Assert.Contains("different models", ex.Message);
    }

    [Fact]
    public void ForeignFilesAreNotImportanceMatrices()
    {
        string text = _dir.File("notes.txt");
        File.WriteAllText(text, "Once upon a time there was a file that was not an importance matrix at all.");
        Assert.Contains("not an importance matrix", Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(text)).Message);
        var model = Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(FixturePaths.Stories260K));
        Assert.Contains("no importance matrix metadata", model.Message);
        string empty = _dir.File("empty.dat");
        File.WriteAllBytes(empty, []);
        Assert.Throws<InvalidDataException>(() => ImportanceMatrix.Load(empty));
    }

    [Fact]
    public void StatisticsAreLlamaImatrixShowStatistics()
    {
        var stats = ImportanceMatrixStatistics.Compute(SampleEntries(), "m.gguf");
        // Sorted by short name, then Σ(Act²) descending.
        Assert.Equal(["blk.1.ffn_down.weight", "blk.0.ffn_down.weight", "blk.0.ffn_up_exps.weight", "output.weight"], stats.Select(s => s.Name));
        var down1 = stats[0];
        float[] a = [0.5f, 1.125f, 0.0625f, 0.25f];
        Assert.Equal(1, down1.Layer);
        Assert.Equal("ffn_down", down1.Tensor);
        Assert.Equal(a.Sum(), down1.SumOfSquares, 6);
        Assert.Equal(0.0625f, down1.Minimum);
        Assert.Equal(1.125f, down1.Maximum);
        Assert.Equal(a.Average(), down1.Mean, 6);
        double sd = Math.Sqrt(a.Select(x => (double)x * x).Average() - a.Average() * a.Average());
        Assert.Equal(sd, down1.StandardDeviation, 5);
        Assert.Equal(100f, down1.ActivePercent);
        Assert.Equal(4, down1.Elements);
        double entropy = -a.Select(x => x / a.Sum()).Sum(p => p * Math.Log2(p));
        Assert.Equal(entropy, down1.Entropy, 5);
        Assert.Equal(100 * entropy / 2, down1.NormalizedEntropyPercent, 3);
        Assert.Equal(25f, down1.ZdPercent);
        // Cosine of the raw sums with blk.0's.
        float[] x0 = [1f, 3f, 0.25f, 1f], x1 = [4f, 9f, 0.5f, 2f];
        double cos = x0.Zip(x1).Sum(p => p.First * p.Second) / Math.Sqrt(x0.Sum(v => v * v) * x1.Sum(v => v * v));
        Assert.Equal(cos, down1.CosineSimilarity, 5);
        Assert.Equal(0f, stats[1].CosineSimilarity);
        // The expert that saw nothing is left out; the others are per-column means.
        var experts = stats[2];
        Assert.Equal(4, experts.Elements);
        Assert.Equal(2f / 3, experts.Minimum);
        Assert.Equal(3.5f, experts.Maximum);
        var output = stats[3];
        Assert.Equal(-1, output.Layer);
        Assert.Equal("output", output.Tensor);
        Assert.Equal(50f, output.ActivePercent);
        Assert.Equal("m.gguf", output.ImportanceMatrix);
    }
}
