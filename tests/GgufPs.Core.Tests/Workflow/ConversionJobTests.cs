using GgufPs.Conversion;
using GgufPs.Tests.Conversion;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ConversionJobTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string? _folder;

    private string Folder => _folder ??= ConversionFixtures.TinyRandomLlama(_dir);

    private ConversionJob Create(string name, string? maxSize, int? maxTensors, List<string> warnings) =>
        ConversionJob.Create(Folder, new ConversionOptions { OutputType = ConversionOutputType.F32, OutputPath = _dir.File(name) },
            maxSize, maxTensors, warnings.Add);

    [Fact]
    public void WithoutLimitsWritesOneFileAndDescribesEveryTensor()
    {
        var warnings = new List<string>();
        using var job = Create("model.gguf", null, null, warnings);
        Assert.Null(job.Parts);
        Assert.Equal([_dir.File("model.gguf")], job.OutputPaths);
        Assert.StartsWith($"Convert '{Folder}' (llama, {job.Plan.Tensors.Count} tensors, F32) to '{_dir.File("model.gguf")}' (", job.Summary);
        string description = job.Describe();
        Assert.StartsWith(job.Summary + ".", description);
        Assert.All(job.Plan.Tensors, t => Assert.Contains($" -> {t.Name} [", description));

        var info = job.Run(overwrite: false, null, CancellationToken.None);
        Assert.Equal(job.Plan.PredictedSize, info.FileSize);
    }

    [Fact]
    public void LimitsSplitTheOutputIntoParts()
    {
        using var job = Create("model.gguf", null, 3, []);
        Assert.NotNull(job.Parts);
        Assert.True(job.Parts.Count > 1);
        Assert.Equal(job.Parts.Select(p => p.Path), job.OutputPaths);
        Assert.Contains($"to {job.Parts.Count} files, '{job.Parts[0].Path}' ...", job.Summary);
        Assert.Equal($"Converting to {job.Parts[0].Path}", job.ProgressStatus);

        var info = job.Run(overwrite: false, null, CancellationToken.None);
        Assert.Equal(job.Parts[0].Path, info.Path);
    }

    [Fact]
    public void AModelWithinTheLimitsIsNotSplitAndSaysSo()
    {
        var warnings = new List<string>();
        using var job = Create("model.gguf", "5G", null, warnings);
        Assert.Single(job.Parts!);
        Assert.Contains("The model fits in one file within the split limits, so it is not split.", warnings);
    }

    [Fact]
    public void ABadSizeIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => Create("model.gguf", "lots", null, []));
    }

    [Fact]
    public void TheTensorAtHandIsTheCurrentOperation()
    {
        Assert.Equal("Tensor 2 of 5: blk.0.attn_q.weight", ConversionJob.CurrentOperation(new ConversionProgress(1, 5, "blk.0.attn_q.weight", 0, 10, TimeSpan.Zero)));
        Assert.Equal("Finishing", ConversionJob.CurrentOperation(new ConversionProgress(5, 5, "", 10, 10, TimeSpan.Zero)));
    }
}
