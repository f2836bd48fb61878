using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>What the quantizer refuses and how it fails: nothing half-written, inputs untouched.</summary>
public class ModelQuantizerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static QuantizationOptions Options(string preset) => new() { Preset = QuantizationPreset.Parse(preset) };

    [Fact]
    public void TypesThatNeedAnImportanceMatrixAreRefusedUpFront()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        using var file = GgufFile.Open(input);
        var ex = Assert.Throws<InvalidOperationException>(() => QuantizationPlanner.Create(file, Options("Q2_K_S")));
        Assert.Contains("blk.0.attn_q.weight", ex.Message);
        var partial = ImportanceMatrix.FromValues("p", new Dictionary<string, float[]> { ["blk.0.attn_q.weight"] = new float[256] });
        ex = Assert.Throws<InvalidOperationException>(() => QuantizationPlanner.Create(file, Options("Q2_K_S") is var o ? new QuantizationOptions { Preset = o.Preset, ImportanceMatrix = partial } : null!));
        Assert.DoesNotContain("blk.0.attn_q.weight (", ex.Message);
        Assert.Contains("blk.0.attn_k.weight", ex.Message);
    }

    [Fact]
    public void ImportanceOfTheWrongSizeIsRefused()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        using var file = GgufFile.Open(input);
        var wrong = ImportanceMatrix.FromValues("w", new Dictionary<string, float[]> { ["blk.0.attn_q.weight"] = new float[100] });
        Assert.Throws<InvalidDataException>(() => QuantizationPlanner.Create(file, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q4_K_M"), ImportanceMatrix = wrong }));
    }

    [Fact]
    public void ValuesTooLargeForTheGridSearchStopTheRunAndLeaveNothingBehind()
    {
        // Finite, but so large that IQ2_XXS's weighted distances overflow float, where ggml aborts.
        var model = new SyntheticLlamaModel { Layers = 1, WeightType = GgmlType.F32 };
        string input = model.Write(_dir.File("in.gguf"));
        long offset;
        int rowLength;
        using (var file = GgufFile.Open(input))
        {
            var t = file.FindTensor("blk.0.ffn_up.weight")!;
            rowLength = (int)t.RowLength;
            offset = t.FileOffset + 2L * rowLength * 4;
        }
        using (var stream = new FileStream(input, FileMode.Open, FileAccess.Write))
        {
            stream.Position = offset;
            var random = new Random(3);
            for (int i = 0; i < rowLength; i++)
            {
                stream.Write(BitConverter.GetBytes(SampleRows.Gaussian(random) * 1e17f));
            }
        }
        string output = _dir.File("out.gguf");
        using var file2 = GgufFile.Open(input);
        var matrix = ImportanceMatrix.FromValues("m", model.ImportanceMatrix());
        var plan = QuantizationPlanner.Create(file2, new QuantizationOptions { Preset = QuantizationPreset.Parse("IQ2_XXS"), ImportanceMatrix = matrix });
        Assert.Equal(GgmlType.IQ2_XXS, plan.Tensors.Single(t => t.Name == "blk.0.ffn_up.weight").TargetType);
        var ex = Assert.Throws<InvalidDataException>(() => ModelQuantizer.Run(plan, output));
        Assert.Contains("blk.0.ffn_up.weight", ex.Message);
        Assert.Contains("too large", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path, "out.gguf*"));
    }

    [Fact]
    public void NonFiniteWeightsStopTheRunAndLeaveNothingBehind()
    {
        var model = new SyntheticLlamaModel { Layers = 1, WeightType = GgmlType.F32 };
        string input = model.Write(_dir.File("in.gguf"));
        long offset;
        using (var file = GgufFile.Open(input))
        {
            var t = file.FindTensor("blk.0.ffn_up.weight")!;
            offset = t.FileOffset + (3 * t.RowLength + 5) * 4;
        }
        using (var stream = new FileStream(input, FileMode.Open, FileAccess.Write))
        {
            stream.Position = offset;
            stream.Write(BitConverter.GetBytes(float.PositiveInfinity));
        }
        string output = _dir.File("out.gguf");
        using var input2 = GgufFile.Open(input);
        var plan = QuantizationPlanner.Create(input2, Options("Q4_K_M"));
        var ex = Assert.Throws<InvalidDataException>(() => ModelQuantizer.Run(plan, output));
        Assert.Contains("blk.0.ffn_up.weight", ex.Message);
        Assert.Contains("row 3", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path, "out.gguf*"));
    }

    [Fact]
    public void OutputRulesHold()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        using var file = GgufFile.Open(input);
        var plan = QuantizationPlanner.Create(file, Options("Q8_0"));
        Assert.Throws<ArgumentException>(() => ModelQuantizer.Run(plan, input, overwrite: true));
        string output = _dir.File("out.gguf");
        File.WriteAllText(output, "keep me");
        Assert.Throws<IOException>(() => ModelQuantizer.Run(plan, output));
        Assert.Equal("keep me", File.ReadAllText(output));
        var info = ModelQuantizer.Run(plan, output, overwrite: true);
        Assert.Equal(plan.PredictedFileSize, info.FileSize);
        Assert.Equal(plan.PredictedFileSize, new FileInfo(output).Length);
    }

    [Fact]
    public void CancellationRemovesTheTemporaryFile()
    {
        string input = new SyntheticLlamaModel { Layers = 2 }.Write(_dir.File("in.gguf"));
        using var file = GgufFile.Open(input);
        var plan = QuantizationPlanner.Create(file, Options("Q4_K_M"));
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.TensorIndex == 3)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => ModelQuantizer.Run(plan, _dir.File("out.gguf"), progress: progress, cancellationToken: cts.Token));
        Assert.Empty(Directory.GetFiles(_dir.Path, "out.gguf*"));
    }

    [Fact]
    public void ProgressCoversEveryTensorAndAllBytes()
    {
        string input = new SyntheticLlamaModel { Layers = 1 }.Write(_dir.File("in.gguf"));
        using var file = GgufFile.Open(input);
        var plan = QuantizationPlanner.Create(file, Options("Q6_K"));
        var reports = new List<QuantizationProgress>();
        ModelQuantizer.Run(plan, _dir.File("out.gguf"), progress: new SynchronousProgress(reports.Add));
        Assert.Equal(plan.Tensors.Count, reports.Select(r => r.TensorIndex).Distinct().Count());
        Assert.Equal(reports[^1].BytesTotal, reports[^1].BytesDone);
    }

    [Fact]
    public void PresetsParseCaseInsensitivelyWithAliases()
    {
        Assert.Equal(LlamaFileType.MOSTLY_Q4_K_M, QuantizationPreset.Parse("q4_k").FileType);
        Assert.Equal("Q5_K_M", QuantizationPreset.Parse("Q5_K").AliasOf);
        Assert.True(QuantizationPreset.Parse("copy").IsCopy);
        Assert.Throws<ArgumentException>(() => QuantizationPreset.Parse("Q9_X"));
    }

    private sealed class SynchronousProgress(Action<QuantizationProgress> action) : IProgress<QuantizationProgress>
    {
        public void Report(QuantizationProgress value) => action(value);
    }
}
