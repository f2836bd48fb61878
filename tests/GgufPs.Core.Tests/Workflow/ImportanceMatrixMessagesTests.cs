using GgufPs.Evaluation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixMessagesTests
{
    [Fact]
    public void TheRunningPerplexityIsShownOnlyWhenMeasured()
    {
        var measured = new PerplexityProgress(2, 5, 12.34567, TimeSpan.FromSeconds(1));
        Assert.Equal("Chunk 2 of 5: perplexity 12.3457", ImportanceMatrixMessages.ChunkStatus(measured));
        Assert.Equal("[2]12.3457", ImportanceMatrixMessages.RunningPerplexity(measured));

        var unmeasured = measured with { RunningPerplexity = double.NaN };
        Assert.Equal("Chunk 2 of 5", ImportanceMatrixMessages.ChunkStatus(unmeasured));
        Assert.Null(ImportanceMatrixMessages.RunningPerplexity(unmeasured));
    }

    [Fact]
    public void TheConfirmationNamesTheModelFileAndTheChunks()
    {
        Assert.Equal("Compute the importance matrix of m.gguf over all chunks of 512 tokens (Gguf)",
            ImportanceMatrixMessages.ComputeAction(Path.Combine("dir", "m.gguf"), null, 512, ImportanceMatrixFormat.Gguf));
        Assert.Equal("Compute the importance matrix of m.gguf over 3 chunk(s) of 64 tokens (Dat)",
            ImportanceMatrixMessages.ComputeAction("m.gguf", 3, 64, ImportanceMatrixFormat.Dat));
        Assert.Equal("Write the merge of 2 importance matrices (7 entries, Gguf)", ImportanceMatrixMessages.MergeAction(2, 7, ImportanceMatrixFormat.Gguf));
    }
}
