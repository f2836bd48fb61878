using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Gguf;

/// <summary>
/// A split set read as one model: named by any part, the same metadata, tensors and data as the merged file, and
/// the same quantization and perplexity; and every way a set can be broken refused with an error naming the file.
/// </summary>
public class GgufSplitSetTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IReadOnlyList<string> SplitStories(int maxTensors = 20, bool noTensorFirstSplit = false, string name = "stories260K")
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var plan = GgufSplitter.PlanSplit(file, _dir.File(name), new GgufSplitOptions { MaxTensors = maxTensors, NoTensorFirstSplit = noTensorFirstSplit });
        GgufSplitter.Write(file, plan, overwrite: false);
        return plan.Select(p => p.Path).ToArray();
    }

    private string Merge(string anyPart)
    {
        string merged = _dir.File("merged-" + Guid.NewGuid().ToString("N") + ".gguf");
        using var set = GgufFile.Open(anyPart);
        GgufSplitter.Write(set, [GgufSplitter.PlanMerge(set, merged)], overwrite: false);
        return merged;
    }

    [Fact]
    public void AnyPartOpensTheWholeSet()
    {
        var parts = SplitStories(noTensorFirstSplit: true);
        Assert.Equal(4, parts.Count);
        using var original = GgufFile.Open(FixturePaths.Stories260K);
        foreach (string part in parts)
        {
            using var set = GgufFile.Open(part);
            Assert.True(set.IsSplit);
            Assert.Equal(parts, set.Parts.Select(p => p.Path));
            Assert.Equal(parts[0], set.Path);
            Assert.Equal(parts.Sum(p => new FileInfo(p).Length), set.FileSize);
            Assert.Equal([0, 20, 20, 8], set.Parts.Select(p => p.TensorCount));
            Assert.Equal(original.Metadata.Select(e => e.Key).Concat(["split.no", "split.tensors.count", "split.count"]), set.Metadata.Select(e => e.Key));
            Assert.Equal(original.Tensors.Select(t => t.Name), set.Tensors.Select(t => t.Name));
            Assert.Equal([1, 2, 3], set.Tensors.Select(t => t.SplitIndex).Distinct());
            foreach (var tensor in set.Tensors)
            {
                Assert.Equal(parts[tensor.SplitIndex], tensor.FilePath);
                Assert.True(original.GetTensorData(original.FindTensor(tensor.Name)!).SequenceEqual(set.GetTensorData(tensor)));
            }
            var info = set.ToModelInfo();
            Assert.Equal(4, info.SplitCount);
            Assert.Equal(original.Tensors.Count, info.TensorCount);
            Assert.Equal(original.ToModelInfo().ParameterCount, info.ParameterCount);
        }
    }

    [Fact]
    public void OpenSingleReadsJustThatPart()
    {
        var parts = SplitStories();
        using var part = GgufFile.OpenSingle(parts[1]);
        Assert.False(part.IsSplit);
        Assert.Equal(3, part.Metadata.Count);
        Assert.Equal(20, part.Tensors.Count);
        Assert.All(part.Tensors, t => Assert.Equal(0, t.SplitIndex));
    }

    [Fact]
    public void ASetQuantizesToTheSameBytesAsTheMergedFile()
    {
        var parts = SplitStories();
        string merged = Merge(parts[1]);
        var options = new QuantizationOptions { Preset = QuantizationPreset.Parse("Q4_K_M"), Threads = 2 };
        string fromSet = _dir.File("set-q.gguf"), fromMerged = _dir.File("merged-q.gguf");
        using (var set = GgufFile.Open(parts[0]))
        {
            ModelQuantizer.Run(QuantizationPlanner.Create(set, options), fromSet, threads: 2);
        }
        using (var file = GgufFile.Open(merged))
        {
            ModelQuantizer.Run(QuantizationPlanner.Create(file, options), fromMerged, threads: 2);
        }
        Assert.Equal(File.ReadAllBytes(fromMerged), File.ReadAllBytes(fromSet));
        using var output = GgufFile.Open(fromSet);
        Assert.DoesNotContain(output.Metadata, e => e.Key.StartsWith("split.", StringComparison.Ordinal));
    }

    [Fact]
    public void ASetMeasuresTheSamePerplexityAsTheMergedFile()
    {
        var parts = SplitStories(maxTensors: 7);
        string merged = Merge(parts[3]);
        byte[] text = File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));
        var options = new PerplexityOptions { Context = 128, Chunks = 3, Threads = 2 };
        using var set = TransformerModel.Open(parts[2]);
        using var file = TransformerModel.Open(merged);
        var a = new PerplexityEvaluator(set, options).Measure(text);
        var b = new PerplexityEvaluator(file, options).Measure(text);
        Assert.Equal(b.Perplexity, a.Perplexity);
    }

    [Fact]
    public void AMissingPartIsNamed()
    {
        var parts = SplitStories();
        File.Delete(parts[1]);
        foreach (string part in new[] { parts[0], parts[2] })
        {
            var ex = Assert.Throws<GgufMissingPartException>(() => GgufFile.Open(part));
            Assert.Equal(parts[1], ex.FileName);
            Assert.Contains("Part 2 of 3", ex.Message);
        }
        Assert.Throws<FileNotFoundException>(() => GgufFile.Open(parts[1]));
    }

    [Fact]
    public void APartFromAnotherSetIsRefused()
    {
        var ours = SplitStories(maxTensors: 20, name: "a");
        var other = SplitStories(maxTensors: 10, name: "b");
        // Same name, but it is the second of five, not of three.
        File.Copy(other[1], ours[1], overwrite: true);
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(ours[0]));
        Assert.Equal(ours[1], ex.FilePath);
        Assert.Contains("split.count", ex.Message);
    }

    [Fact]
    public void APartOfAnotherModelWithTheSameShapeOfSetIsRefused()
    {
        var ours = SplitStories(maxTensors: 24, name: "a");
        using (var tiny = GgufFile.Open(FixturePaths.TinyRandomLlama))
        {
            var plan = GgufSplitter.PlanSplit(tiny, _dir.File("t"), new GgufSplitOptions { MaxTensors = 10 });
            GgufSplitter.Write(tiny, plan, overwrite: false);
            File.Copy(plan[1].Path, ours[1], overwrite: true);
        }
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(ours[1]));
        Assert.Equal(ours[1], ex.FilePath);
        Assert.Contains("split.tensors.count", ex.Message);
    }

    [Fact]
    public void ASplitCountThatLiesIsRefused()
    {
        var parts = SplitStories();
        // The first part claims four parts while its name says three.
        Patch(parts[0], "split.count", (ushort)4);
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(parts[0]));
        Assert.Equal(parts[0], ex.FilePath);
        Assert.Contains("-00001-of-00004.gguf", ex.Message);
        // Opened from another part, the first part's count disagrees with the set's.
        ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(parts[2]));
        Assert.Equal(parts[0], ex.FilePath);
    }

    [Fact]
    public void AHugeSplitCountIsRefusedWithoutLookingForItsParts()
    {
        // u32 where llama.cpp writes u16: 100,000 parts cannot be numbered, whatever the file is called.
        string path = _dir.File("huge-00001-of-100000.gguf");
        using (var source = GgufFile.Open(FixturePaths.Stories260K))
        using (var writer = new GgufWriter(path))
        {
            var metadata = source.Metadata.Append(GgufMetadataEntry.Create("split.no", GgufValueType.UInt16, 0))
                .Append(GgufMetadataEntry.Create("split.count", GgufValueType.UInt32, 100_000)).ToList();
            writer.WriteHeader(metadata, []);
            writer.Commit();
        }
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(path));
        Assert.Contains("100000", ex.Message);
    }

    [Fact]
    public void ASplitNumberThatLiesIsRefused()
    {
        var parts = SplitStories();
        Patch(parts[2], "split.no", (ushort)1);
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(parts[0]));
        Assert.Equal(parts[2], ex.FilePath);
    }

    [Fact]
    public void ATensorCountThatLiesIsRefused()
    {
        var parts = SplitStories();
        foreach (string part in parts)
        {
            Patch(part, "split.tensors.count", 47);
        }
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(parts[1]));
        Assert.Equal(parts[0], ex.FilePath);
        Assert.Contains("48 tensors", ex.Message);
    }

    [Fact]
    public void DuplicateTensorsAreRefused()
    {
        // A hand-made set of two parts that both hold token_embd.weight.
        using var source = GgufFile.Open(FixturePaths.Stories260K);
        var embedding = source.FindTensor("token_embd.weight")!;
        var norm = source.FindTensor("output_norm.weight")!;
        string prefix = _dir.File("dup");
        for (int p = 0; p < 2; p++)
        {
            var metadata = new List<GgufMetadataEntry>(p == 0 ? source.Metadata : [])
            {
                GgufMetadataEntry.Create("split.no", GgufValueType.UInt16, p),
                GgufMetadataEntry.Create("split.tensors.count", GgufValueType.Int32, 3),
                GgufMetadataEntry.Create("split.count", GgufValueType.UInt16, 2),
            };
            var tensors = p == 0 ? new[] { embedding, norm } : [embedding];
            using var writer = new GgufWriter(GgufSplitNaming.PartPath(prefix, p, 2));
            writer.WriteHeader(metadata, tensors.Select(GgufTensorDescriptor.From).ToList());
            foreach (var t in tensors)
            {
                writer.WriteTensorData(source.GetTensorData(t));
            }
            writer.Commit();
        }
        string second = GgufSplitNaming.PartPath(prefix, 1, 2);
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(second));
        Assert.Equal(second, ex.FilePath);
        Assert.Contains("token_embd.weight", ex.Message);
    }

    [Fact]
    public void ASetWhosePartIsMisnamedIsRefused()
    {
        var parts = SplitStories();
        string renamed = _dir.File("renamed.gguf");
        File.Move(parts[0], renamed);
        var ex = Assert.Throws<GgufSplitException>(() => GgufFile.Open(renamed));
        Assert.Equal(renamed, ex.FilePath);
    }

    [Fact]
    public void ABrokenSetIsNeitherMergedNorSplit()
    {
        var parts = SplitStories();
        File.Delete(parts[2]);
        var before = Directory.GetFiles(_dir.Path).Order().ToArray();
        Assert.Throws<GgufMissingPartException>(() => Merge(parts[0]));
        Assert.Equal(before, Directory.GetFiles(_dir.Path).Order());
    }

    [Fact]
    public void NamesFollowLlamaSplitPath()
    {
        Assert.Equal("/m/x-00002-of-00010.gguf", GgufSplitNaming.PartPath("/m/x", 1, 10));
        Assert.Equal("/m/x", GgufSplitNaming.Prefix("/m/x-00002-of-00010.gguf", 1, 10));
        Assert.Null(GgufSplitNaming.Prefix("/m/x-00002-of-00010.gguf", 0, 10));
        Assert.True(GgufSplitNaming.TryParse("/m/x-00003-of-00004.gguf", out string prefix, out int index, out int count));
        Assert.Equal(("/m/x", 2, 4), (prefix, index, count));
        Assert.False(GgufSplitNaming.TryParse("/m/x-00005-of-00004.gguf", out _, out _, out _));
        Assert.Equal("/m/model", GgufSplitNaming.PrefixOf("/m/model.gguf"));
    }

    private static void Patch(string path, string key, object value)
    {
        GgufMetadataCollection metadata;
        using (var file = GgufFile.OpenSingle(path))
        {
            metadata = file.Metadata;
        }
        var editor = new GgufMetadataEditor(metadata, new System.Collections.Hashtable { [key] = value }, null);
        editor.PatchInPlace(path);
    }
}
