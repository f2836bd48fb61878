using GgufPs.Evaluation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixStopPolicyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static PerplexityResult Result(bool completed, int chunks) => new()
    {
        Model = "m.gguf", Perplexity = 10, StandardError = 1, Context = 8, Chunks = chunks, TokensScored = 4, TokensInText = 16,
        Seconds = 1, TokensPerSecond = 16, ChunkPerplexities = new double[chunks], Completed = completed,
    };

    [Theory]
    [InlineData(true, false, 0, true)]
    [InlineData(false, false, 3, false)]
    [InlineData(false, true, 3, true)]
    [InlineData(false, true, 0, false)]
    public void KeepsAFinishedRunAndAStoppedOneOnlyWithForceAndAChunk(bool completed, bool force, int chunks, bool expected) =>
        Assert.Equal(expected, ImportanceMatrixStopPolicy.Keeps(Result(completed, chunks), force, chunks));

    [Fact]
    public void AStopBeforeTheFirstChunkKeepsNothingEvenWithForce()
    {
        Assert.False(ImportanceMatrixStopPolicy.Keeps(null, force: true, chunksInMatrix: 0));
        Assert.Equal("Stopped before the first chunk was finished; nothing was written (with -Force, what was computed until a stop is saved).",
            ImportanceMatrixStopPolicy.StopWarning(null, kept: false, "o.gguf"));
    }

    [Fact]
    public void WarnsOnlyAboutARunThatStopped()
    {
        Assert.Null(ImportanceMatrixStopPolicy.StopWarning(Result(true, 4), kept: true, "o.gguf"));
        Assert.Equal("Stopped after 2 chunk(s); 'o.gguf' holds what was computed until then.",
            ImportanceMatrixStopPolicy.StopWarning(Result(false, 2), kept: true, "o.gguf"));
    }

    [Fact]
    public void ConcludeWritesTheKeptMatrixAndNothingElse()
    {
        var matrix = new ImportanceMatrixAccumulator(8);
        string kept = _dir.File("kept.imatrix.gguf");
        var (info, warning) = ImportanceMatrixStopPolicy.Conclude(Result(true, 1), matrix, kept, ImportanceMatrixFormat.Gguf, false, "m.gguf", false);
        Assert.NotNull(info);
        Assert.Null(warning);
        Assert.True(File.Exists(kept));

        string dropped = _dir.File("dropped.imatrix.gguf");
        (info, warning) = ImportanceMatrixStopPolicy.Conclude(Result(false, 1), matrix, dropped, ImportanceMatrixFormat.Gguf, false, "m.gguf", false);
        Assert.Null(info);
        Assert.StartsWith("Stopped after 1 chunk(s); nothing was written", warning);
        Assert.False(File.Exists(dropped));
    }
}
