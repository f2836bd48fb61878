using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixAccumulatorsTests
{
    private static ImportanceMatrix Matrix(string path, string weight) =>
        ImportanceMatrix.FromValues(path, new Dictionary<string, float[]> { [weight] = [1f, 2f] }, chunkCount: 1);

    [Fact]
    public void AMergeHoldsEveryInputAndTakesTheGivenContextAsItsChunkSize()
    {
        var merged = ImportanceMatrixAccumulators.Merge([Matrix("a", "x.weight"), Matrix("b", "y.weight")], context: 64, defaultContext: 512);
        Assert.Equal(2, merged.Count);
        Assert.Equal(64, merged.ChunkSize);
    }

    [Fact]
    public void AMergeWithoutAContextFallsBackToTheDefaultWhenNoInputHasAChunkSize() =>
        Assert.Equal(512, ImportanceMatrixAccumulators.Merge([Matrix("a", "x.weight")], context: null, defaultContext: 512).ChunkSize);

    [Fact]
    public void AComputationRecordsItsDatasetFile()
    {
        var matrix = ImportanceMatrixAccumulators.ForComputing(FixturePaths.Stories260K, [], 32, 1, processOutput: true, "calibration.txt");
        Assert.Equal(["calibration.txt"], matrix.Datasets);
        Assert.True(matrix.ProcessOutput);
        Assert.Equal(32, matrix.ChunkSize);
        Assert.Empty(ImportanceMatrixAccumulators.ForComputing(FixturePaths.Stories260K, [], 32, 1, false, null).Datasets);
    }
}
