using GgufPs.Quantization;
using GgufPs.Tests.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class QuantizationJobTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly QuantizationSettings Settings = QuantizationSettings.Parse(null, null, [], false, [], [], []);

    [Fact]
    public void KeepSplitOnOneFileWarnsAndWritesOneFile()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        string output = _dir.File("out.gguf");
        var warnings = new List<string>();
        var job = QuantizationJob.Create(input, output, Settings, QuantizationPreset.Parse("Q8_0"), null, keepSplit: true, warnings.Add);
        Assert.Equal($"-KeepSplit: '{input}' is not a split set, so the output is one file.", Assert.Single(warnings));
        Assert.Null(job.Split);
        Assert.Equal([output], job.OutputPaths);

        var info = job.Run(overwrite: false, threads: 1, null, CancellationToken.None);
        Assert.Equal(new FileInfo(output).Length, info.FileSize);
    }

    [Fact]
    public void WithoutKeepSplitThereIsNoWarning()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        var warnings = new List<string>();
        QuantizationJob.Create(input, _dir.File("out.gguf"), Settings, QuantizationPreset.Parse("Q8_0"), null, keepSplit: false, warnings.Add);
        Assert.Empty(warnings);
    }
}
