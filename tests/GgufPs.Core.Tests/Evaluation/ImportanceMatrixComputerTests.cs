using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;
using GgufPs.Tests.Inference;

namespace GgufPs.Tests.Evaluation;

/// <summary>llama-imatrix's rules about which tokens count, stopping, merging and bad input.</summary>
public class ImportanceMatrixComputerTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    public void Dispose() => _dir.Dispose();

    private ImportanceMatrixAccumulator Compute(ImportanceMatrixOptions options, out PerplexityResult result, CancellationToken cancellation = default,
        IProgress<PerplexityProgress>? progress = null)
    {
        using var model = TransformerModel.Open(models.Path("llama-F32"));
        var matrix = new ImportanceMatrixAccumulator(options.Context, threads: 2);
        result = new ImportanceMatrixComputer(model, options).Compute(Text, matrix, progress, cancellation);
        return matrix;
    }

    [Fact]
    public void EveryTokenOfEveryChunkCountsForEveryBlockWeight()
    {
        var matrix = Compute(new ImportanceMatrixOptions { Context = 32, Chunks = 3, Threads = 2 }, out var result);
        var entries = matrix.Entries();
        Assert.Equal(2 * 7, entries.Count);
        Assert.All(entries, e => Assert.Equal([96L], e.Counts));
        Assert.DoesNotContain(entries, e => e.Name is "output.weight" or "token_embd.weight");
        Assert.Equal(3, matrix.ChunkCount);
        Assert.True(result.Completed);
        Assert.Equal(3, result.ChunkPerplexities.Length);
        Assert.Equal(3 * 15, result.TokensScored);
    }

    [Fact]
    public void BatchesOfFewerThanSixteenTokensAreIgnored()
    {
        // 40 tokens in batches of 16, 16 and 8: the last batch of each chunk adds nothing, as in llama-imatrix.
        var matrix = Compute(new ImportanceMatrixOptions { Context = 40, Chunks = 2, BatchSize = 16, Threads = 2, ComputePerplexity = false }, out var result);
        Assert.All(matrix.Entries(), e => Assert.Equal([64L], e.Counts));
        Assert.Equal(1, matrix.ChunkCount);
        Assert.True(double.IsNaN(result.Perplexity));
        var none = Compute(new ImportanceMatrixOptions { Context = 24, Chunks = 2, BatchSize = 12, Threads = 2, ComputePerplexity = false }, out _);
        Assert.Equal(0, none.Count);
    }

    [Fact]
    public void SplittingAChunkIntoBatchesChangesNothingElse()
    {
        var whole = Compute(new ImportanceMatrixOptions { Context = 64, Chunks = 2, Threads = 2 }, out var a).Entries();
        var split = Compute(new ImportanceMatrixOptions { Context = 64, Chunks = 2, BatchSize = 32, Threads = 2 }, out var b).Entries();
        Assert.Equal(a.Perplexity, b.Perplexity, 6);
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].Counts, split[i].Counts);
            for (int j = 0; j < whole[i].Sums.Length; j++)
            {
                Assert.Equal(whole[i].Sums[j], split[i].Sums[j], whole[i].Sums[j] * 1e-5f);
            }
        }
    }

    [Fact]
    public void MergedHalvesEqualTheWhole()
    {
        var options = new ImportanceMatrixOptions { Context = 32, Chunks = 2, Threads = 2, ComputePerplexity = false };
        var first = Compute(options, out _);
        var second = Compute(new ImportanceMatrixOptions { Context = 32, Chunks = 2, SkipChunks = 2, Threads = 2, ComputePerplexity = false }, out _);
        var whole = Compute(new ImportanceMatrixOptions { Context = 32, Chunks = 4, Threads = 2, ComputePerplexity = false }, out _).Entries();
        string a = _dir.File("a.gguf"), b = _dir.File("b.dat");
        first.AddDataset("part1.txt");
        second.AddDataset("part2.txt");
        first.Save(a, ImportanceMatrixFormat.Gguf, overwrite: false);
        second.Save(b, ImportanceMatrixFormat.Dat, overwrite: false);
        var merged = new ImportanceMatrixAccumulator(32);
        merged.Add(ImportanceMatrix.Load(a));
        merged.Add(ImportanceMatrix.Load(b));
        var entries = merged.Entries();
        Assert.Equal(whole.Select(e => e.Name), entries.Select(e => e.Name));
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].Counts, entries[i].Counts);
            for (int j = 0; j < whole[i].Sums.Length; j++)
            {
                Assert.Equal(whole[i].Sums[j], entries[i].Sums[j], whole[i].Sums[j] * 1e-5f);
            }
        }
        Assert.Equal(["part1.txt", "part2.txt"], merged.Datasets);
        Assert.Equal(4, merged.ChunkCount);
    }

    [Fact]
    public void StoppingKeepsTheFinishedChunks()
    {
        using var stop = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.ChunksDone == 2)
            {
                stop.Cancel();
            }
        });
        var matrix = Compute(new ImportanceMatrixOptions { Context = 64, Chunks = 5, Threads = 2 }, out var result, stop.Token, progress);
        Assert.False(result.Completed);
        Assert.Equal(2, result.Chunks);
        Assert.All(matrix.Entries(), e => Assert.Equal([128L], e.Counts));
        Assert.Equal(2, result.ChunkPerplexities.Length);

        using var early = new CancellationTokenSource();
        early.Cancel();
        using var model = TransformerModel.Open(models.Path("llama-F32"));
        var empty = new ImportanceMatrixAccumulator(64);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new ImportanceMatrixComputer(model, new ImportanceMatrixOptions { Context = 64 }).Compute(Text, empty, cancellation: early.Token));
        Assert.Equal(0, empty.Count);
    }

    [Fact]
    public void AChunkStoppedHalfwayIsUndone()
    {
        // What the computer does when a chunk is stopped inside the forward pass: back to the last whole chunk.
        var matrix = new ImportanceMatrixAccumulator(16);
        var rows = Enumerable.Range(0, 16 * 4).Select(i => i * 0.25f).ToArray();
        matrix.Observe("blk.0.attn_q.weight", rows, 16);
        var checkpoint = matrix.Checkpoint();
        var before = matrix.Entries();
        matrix.Observe("blk.0.attn_q.weight", rows, 16);
        matrix.Observe("blk.0.ffn_up.weight", rows, 16);
        matrix.Restore(checkpoint);
        var after = matrix.Entries();
        Assert.Equal(before.Select(e => e.Name), after.Select(e => e.Name));
        Assert.Equal(before[0].Sums, after[0].Sums);
        Assert.Equal(before[0].Counts, after[0].Counts);
    }

    [Fact]
    public void TextTooShortForTwoContextsIsRefused()
    {
        using var model = TransformerModel.Open(models.Path("llama-F32"));
        var computer = new ImportanceMatrixComputer(model, new ImportanceMatrixOptions { Context = 512 });
        var ex = Assert.Throws<ArgumentException>(() => computer.Compute("Once upon a time."u8, new ImportanceMatrixAccumulator(512)));
        Assert.Contains("needs at least 1024", ex.Message);
        Assert.Throws<ArgumentException>(() => computer.Compute(""u8, new ImportanceMatrixAccumulator(512)));
        var skip = new ImportanceMatrixComputer(model, new ImportanceMatrixOptions { Context = 64, SkipChunks = 1000 });
        Assert.Contains("skipping", Assert.Throws<ArgumentException>(() => skip.Compute(Text, new ImportanceMatrixAccumulator(64))).Message);
    }

    [Fact]
    public void DataOfAnotherWidthIsRefused()
    {
        var matrix = new ImportanceMatrixAccumulator(64);
        matrix.Observe("blk.0.attn_q.weight", new float[16 * 8], 16);
        var ex = Assert.Throws<InvalidDataException>(() => matrix.Observe("blk.0.attn_q.weight", new float[16 * 4], 16));
        Assert.Contains("blk.0.attn_q.weight", ex.Message);
        var nan = new float[16 * 8];
        nan[5] = float.NaN;
        Assert.Contains("non-finite", Assert.Throws<InvalidDataException>(() => matrix.Observe("blk.0.attn_q.weight", nan, 16)).Message);
    }

    /// <summary>Reports on the computing thread, so the test can react before the next chunk starts.</summary>
    private sealed class SynchronousProgress(Action<PerplexityProgress> report) : IProgress<PerplexityProgress>
    {
        public void Report(PerplexityProgress value) => report(value);
    }
}
