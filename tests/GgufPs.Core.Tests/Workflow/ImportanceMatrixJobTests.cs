using System.Text;
using GgufPs.Evaluation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixJobTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly byte[] Text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily. She liked to play outside. ", 12)));

    private static readonly ImportanceMatrixOptions Options = new() { Context = 32, Chunks = 1, BatchSize = 32, Threads = 1 };

    [Fact]
    public void AFinishedRunIsSavedAndDescribedWithoutAWarning()
    {
        string output = _dir.File("m.imatrix.gguf");
        var job = ImportanceMatrixJob.Create(FixturePaths.Stories260K, output, ImportanceMatrixFormat.Gguf, [], Options, processOutput: false, "calibration.txt");
        var result = job.Run(Text, null, null, CancellationToken.None);
        Assert.True(result.Completed);
        Assert.Equal(1, job.Matrix.ChunkCount);

        var warnings = new List<string>();
        var info = job.Conclude(result, force: false, statistics: false, warnings.Add);
        Assert.NotNull(info);
        Assert.Equal(output, info.Path);
        Assert.Equal(FixturePaths.Stories260K, info.Model);
        Assert.Equal(["calibration.txt"], info.Datasets);
        Assert.Empty(warnings);
        Assert.Equal(1, ImportanceMatrix.Load(output).ChunkCount);
    }

    [Fact]
    public void TheMergedInputsAreInTheMatrixBeforeTheRunAndMustFitTheModel()
    {
        using var model = GgufFile.Open(FixturePaths.Stories260K);
        var weight = model.Tensors.First(t => t.Name.EndsWith("attn_q.weight", StringComparison.Ordinal));
        ImportanceMatrix Merged(long columns) =>
            ImportanceMatrix.FromValues("earlier.imatrix.gguf", new Dictionary<string, float[]> { [weight.Name] = new float[columns] }, chunkCount: 1);

        var job = ImportanceMatrixJob.Create(FixturePaths.Stories260K, _dir.File("m.imatrix.gguf"), ImportanceMatrixFormat.Gguf, [Merged(weight.RowLength)], Options, false, null);
        Assert.Equal(1, job.Matrix.Count);
        Assert.Throws<InvalidDataException>(() =>
            ImportanceMatrixJob.Create(FixturePaths.Stories260K, _dir.File("m.imatrix.gguf"), ImportanceMatrixFormat.Gguf, [Merged(weight.RowLength + 1)], Options, false, null));
    }

    [Fact]
    public void AStopBeforeTheFirstChunkWritesNothingAndSaysSo()
    {
        string output = _dir.File("m.imatrix.gguf");
        var job = ImportanceMatrixJob.Create(FixturePaths.Stories260K, output, ImportanceMatrixFormat.Gguf, [], Options, false, null);
        Assert.False(job.KeepsPartial(force: true));
        var warnings = new List<string>();
        Assert.Null(job.Conclude(null, force: true, statistics: false, warnings.Add));
        Assert.StartsWith("Stopped before the first chunk was finished; nothing was written", Assert.Single(warnings));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void APartialMatrixIsSavedOverTheOutput()
    {
        string output = _dir.File("m.imatrix.gguf");
        File.WriteAllText(output, "old");
        var job = ImportanceMatrixJob.Create(FixturePaths.Stories260K, output, ImportanceMatrixFormat.Gguf, [], Options, false, null);
        job.Run(Text, null, null, CancellationToken.None);
        Assert.True(job.KeepsPartial(force: true));
        Assert.False(job.KeepsPartial(force: false));
        job.SavePartial();
        Assert.Equal(1, ImportanceMatrix.Load(output).ChunkCount);
    }
}
