using GgufPs.Evaluation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixMergeInputsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Saved(string name, string weight)
    {
        string path = _dir.File(name);
        ImportanceMatrixAccumulators.Merge([ImportanceMatrix.FromValues(name, new Dictionary<string, float[]> { [weight] = [1f, 2f] }, chunkCount: 1)], 16, 16)
            .Save(path, ImportanceMatrixFormat.Gguf, overwrite: false);
        return path;
    }

    [Fact]
    public void ReadsEveryInputInOrderAndSaysWhichBeforeReadingIt()
    {
        string a = Saved("a.imatrix.gguf", "x.weight"), b = Saved("b.imatrix.gguf", "y.weight");
        var reading = new List<string>();
        var matrices = ImportanceMatrixMergeInputs.Load([a, b], FixturePaths.Stories260K, reading.Add);
        Assert.Equal([a, b], reading);
        Assert.Equal([a, b], matrices.Select(m => m.Path));
    }

    [Fact]
    public void RefusesTheModelAmongTheMatricesBeforeReadingIt()
    {
        string a = Saved("a.imatrix.gguf", "x.weight");
        var reading = new List<string>();
        var ex = Assert.Throws<MergeIsModelException>(() => ImportanceMatrixMergeInputs.Load([a, FixturePaths.Stories260K], FixturePaths.Stories260K, reading.Add));
        Assert.Equal(FixturePaths.Stories260K, ex.Path);
        Assert.Equal($"'{FixturePaths.Stories260K}' is the model, not an importance matrix.", ex.Message);
        Assert.Equal([a], reading);
    }

    [Fact]
    public void AModelIsReadAsAMatrixWhenMergingAlone()
    {
        // Without a model to compute into, a GGUF model given to -Merge is an unreadable matrix, not the model.
        Assert.ThrowsAny<Exception>(() => ImportanceMatrixMergeInputs.Load([FixturePaths.Stories260K], null));
    }

    [Fact]
    public void StopsAtTheFirstInputThatCannotBeRead()
    {
        string text = _dir.File("notes.txt");
        File.WriteAllText(text, "not a matrix");
        string b = Saved("b.imatrix.gguf", "y.weight");
        var reading = new List<string>();
        Assert.ThrowsAny<Exception>(() => ImportanceMatrixMergeInputs.Load([text, b], null, reading.Add));
        Assert.Equal([text], reading);
    }

    [Fact]
    public void NoInputsAreNoMatrices() => Assert.Empty(ImportanceMatrixMergeInputs.Load([], FixturePaths.Stories260K));
}
