using System.Security.Cryptography;
using GgufPs.Oracle;

namespace GgufPs.Tests.Gguf;

/// <summary>
/// Split and merge against llama-gguf-split: every file's SHA-256 equals the one llama.cpp b4747's tool wrote for the
/// same options (tests/fixtures/split), every part loads in llama.cpp's gguf reader with the split keys in place, and
/// split-then-merge gives llama.cpp's merged file.
/// </summary>
public class GgufSplitterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Dictionary<string, string> Digests = File.ReadAllLines(FixturePaths.Get("split", "llama-gguf-split.sha256"))
        .Where(l => l.Length > 0)
        .ToDictionary(l => l[66..], l => l[..64], StringComparer.Ordinal);

    private static string Model(string name) => name == "tiny" ? FixturePaths.TinyRandomLlama : FixturePaths.Stories260K;

    private static GgufSplitOptions Options(string mode) => mode switch
    {
        "t10" => new() { MaxTensors = 10 },
        "t10-nf" => new() { MaxTensors = 10, NoTensorFirstSplit = true },
        "s1M" => new() { MaxBytes = GgufSplitOptions.ParseSize("1M") },
        "s1M-nf" => new() { MaxBytes = GgufSplitOptions.ParseSize("1M"), NoTensorFirstSplit = true },
        _ => throw new ArgumentException(mode),
    };

    public static TheoryData<string, string> Cases() => new()
    {
        { "stories260K", "t10" }, { "stories260K", "t10-nf" }, { "stories260K", "s1M" }, { "stories260K", "s1M-nf" },
        { "tiny", "t10" }, { "tiny", "t10-nf" }, { "tiny", "s1M" }, { "tiny", "s1M-nf" },
    };

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private IReadOnlyList<string> Split(string input, string folder, string name, GgufSplitOptions options)
    {
        Directory.CreateDirectory(_dir.File(folder));
        using var file = GgufFile.Open(input);
        var plan = GgufSplitter.PlanSplit(file, Path.Combine(_dir.File(folder), name), options);
        GgufSplitter.Write(file, plan, overwrite: false);
        return plan.Select(p => p.Path).ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitEqualsLlamaGgufSplit(string model, string mode)
    {
        string folder = $"{model}-{mode}";
        var parts = Split(Model(model), folder, model, Options(mode));

        var expected = Digests.Where(d => d.Key.StartsWith(folder + "/", StringComparison.Ordinal) && !d.Key.EndsWith("merged.gguf", StringComparison.Ordinal))
            .OrderBy(d => d.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select(d => Path.GetFileName(d.Key)), parts.Select(Path.GetFileName));
        Assert.Equal(expected.Select(d => d.Value), parts.Select(Sha256));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryPartLoadsInLlamaCppWithItsSplitKeysLast(string model, string mode)
    {
        var parts = Split(Model(model), "x", model, Options(mode));
        using var source = GgufFile.Open(Model(model));
        var names = new List<string>();
        for (int i = 0; i < parts.Count; i++)
        {
            var snapshot = LlamaCppOracle.ReadGguf(parts[i]);
            Assert.NotNull(snapshot);
            var last = snapshot.Entries.TakeLast(3).ToList();
            Assert.Equal(["split.no", "split.tensors.count", "split.count"], last.Select(e => e.Key));
            Assert.Equal([GgufValueType.UInt16, GgufValueType.Int32, GgufValueType.UInt16], last.Select(e => e.Type));
            Assert.Equal((ushort)i, last[0].Value);
            Assert.Equal(source.Tensors.Count, last[1].Value);
            Assert.Equal((ushort)parts.Count, last[2].Value);
            // The first part carries every key of the model; the others only the split keys.
            Assert.Equal(i == 0 ? source.Metadata.Count + 3 : 3, snapshot.Entries.Count);
            Assert.Equal(32, snapshot.Alignment);
            if (snapshot.Tensors.Count > 0)
            {
                Assert.Equal(0, snapshot.DataOffset % 32);
            }
            else
            {
                // A part without tensors is padded to the alignment all the same, as ggml's writer pads every header.
                Assert.Equal(0, new FileInfo(parts[i]).Length % 32);
            }
            names.AddRange(snapshot.Tensors.Select(t => t.Name));
            Assert.All(snapshot.Tensors, t => Assert.Equal(0, t.Offset % 32));
        }
        if (mode.EndsWith("-nf", StringComparison.Ordinal))
        {
            Assert.Empty(LlamaCppOracle.ReadGguf(parts[0])!.Tensors);
        }
        Assert.Equal(source.Tensors.Select(t => t.Name), names);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitThenMergeEqualsLlamaGgufSplitMerge(string model, string mode)
    {
        var parts = Split(Model(model), "parts", model, Options(mode));
        // Any part names the set.
        using var set = GgufFile.Open(parts[^1]);
        string merged = _dir.File("merged.gguf");
        GgufSplitter.Write(set, [GgufSplitter.PlanMerge(set, merged)], overwrite: false);
        Assert.Equal(Digests[$"{model}-t10/merged.gguf"], Sha256(merged));

        // The merged file is the original model plus split.no and split.tensors.count, with split.count 0.
        var snapshot = LlamaCppOracle.ReadGguf(merged)!;
        using var original = GgufFile.Open(Model(model));
        Assert.Equal(original.Metadata.Select(e => e.Key).Concat(["split.no", "split.tensors.count", "split.count"]), snapshot.Entries.Select(e => e.Key));
        Assert.Equal((ushort)0, snapshot.Entries[^1].Value);
        using var reread = GgufFile.Open(merged);
        Assert.False(reread.IsSplit);
        foreach (var tensor in original.Tensors)
        {
            Assert.True(original.GetTensorData(tensor).SequenceEqual(reread.GetTensorData(reread.FindTensor(tensor.Name)!)));
        }
    }

    [Fact]
    public void AMergedFileSplitsAgainAsLlamaGgufSplitDoes()
    {
        var parts = Split(FixturePaths.Stories260K, "a", "stories260K", new GgufSplitOptions { MaxTensors = 10 });
        string merged = _dir.File("merged.gguf");
        using (var set = GgufFile.Open(parts[0]))
        {
            GgufSplitter.Write(set, [GgufSplitter.PlanMerge(set, merged)], overwrite: false);
        }
        var again = Split(merged, "stories260K-resplit", "stories260K", new GgufSplitOptions { MaxTensors = 20 });
        Assert.Equal(3, again.Count);
        Assert.All(again, p => Assert.Equal(Digests["stories260K-resplit/" + Path.GetFileName(p)], Sha256(p)));

        // A set is re-split as its merged file would be.
        var fromSet = Split(parts[2], "from-set", "stories260K", new GgufSplitOptions { MaxTensors = 20 });
        Assert.Equal(again.Select(Sha256), fromSet.Select(Sha256));
    }

    [Fact]
    public void ThePlanPredictsEachFileExactly()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var plan = GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions { MaxBytes = 300_000, NoTensorFirstSplit = true });
        GgufSplitter.Write(file, plan, overwrite: false);
        Assert.All(plan, p => Assert.Equal(p.PredictedFileSize, new FileInfo(p.Path).Length));
        Assert.Equal(file.Tensors.Count, plan.Sum(p => p.TensorCount));
        Assert.Equal(0, plan[0].TensorCount);
    }

    [Theory]
    [InlineData("2M", 2_000_000)]
    [InlineData("4G", 4_000_000_000)]
    [InlineData("1500", 1500)]
    public void SizesAreDecimalAsInLlamaGgufSplit(string text, long bytes) => Assert.Equal(bytes, GgufSplitOptions.ParseSize(text));

    [Theory]
    [InlineData("2K")]
    [InlineData("-1M")]
    [InlineData("0G")]
    [InlineData("M")]
    [InlineData("1.5G")]
    public void BadSizesAreRefused(string text) => Assert.Throws<ArgumentException>(() => GgufSplitOptions.ParseSize(text));

    [Fact]
    public void ATensorLargerThanTheLimitAtTheStartIsRefusedAsLlamaCppRefusesIt()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        // token_embd.weight, the first tensor, takes 131,072 bytes.
        var ex = Assert.Throws<ArgumentException>(() => GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions { MaxBytes = 100_000 }));
        Assert.Contains("token_embd.weight", ex.Message);
        Assert.Throws<ArgumentException>(() => GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions { MaxBytes = 100_000, NoTensorFirstSplit = true }));
        Assert.Throws<ArgumentException>(() => GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions { MaxTensors = 0 }));
        Assert.Throws<ArgumentException>(() => GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions()));
    }

    [Fact]
    public void ExistingOutputsAreNotReplacedWithoutOverwrite()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var plan = GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions { MaxTensors = 20 });
        File.WriteAllText(plan[1].Path, "keep me");
        Assert.Throws<GgufPs.Workflow.OutputExistsException>(() => GgufSplitter.Write(file, plan, overwrite: false));
        Assert.Equal("keep me", File.ReadAllText(plan[1].Path));
        Assert.Single(Directory.GetFiles(_dir.Path));

        GgufSplitter.Write(file, plan, overwrite: true);
        Assert.Equal(3, Directory.GetFiles(_dir.Path).Length);
    }

    [Fact]
    public void CancellingLeavesNothingBehind()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var plan = GgufSplitter.PlanSplit(file, _dir.File("p"), new GgufSplitOptions { MaxTensors = 10 });
        using var stop = new CancellationTokenSource();
        var progress = new CallbackProgress<GgufCopyProgress>(p =>
        {
            if (p.PartIndex == 2)
            {
                stop.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => GgufSplitter.Write(file, plan, overwrite: false, progress, stop.Token));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void AFileThatIsNotASetCannotBeMerged()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        Assert.Throws<ArgumentException>(() => GgufSplitter.PlanMerge(file, _dir.File("m.gguf")));
    }
}
