using GgufPs.Oracle;
using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>
/// Quantizing a split set part for part, as llama-quantize --keep-split does: the same part files, byte for byte, as
/// llama_model_quantize with keep_split on, and nothing left behind when a part cannot be written.
/// </summary>
public class KeepSplitQuantizationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private IReadOnlyList<string> SplitModel(int maxTensors, bool noTensorFirstSplit)
    {
        string model = new SyntheticLlamaModel { Layers = 4, Embedding = 256, FeedForward = 512 }.Write(_dir.File("model.gguf"));
        using var file = GgufFile.Open(model);
        var plan = GgufSplitter.PlanSplit(file, _dir.File("in"), new GgufSplitOptions { MaxTensors = maxTensors, NoTensorFirstSplit = noTensorFirstSplit });
        GgufSplitter.Write(file, plan, overwrite: false);
        return plan.Select(p => p.Path).ToArray();
    }

    [Theory]
    [InlineData("Q4_K_M", 7, false)]
    [InlineData("Q8_0", 11, true)]
    [InlineData("Q3_K_S", 4, false)]
    public void PartsEqualLlamaCppKeepSplit(string type, int maxTensors, bool noTensorFirstSplit)
    {
        var parts = SplitModel(maxTensors, noTensorFirstSplit);
        var options = new QuantizationOptions { Preset = QuantizationPreset.Parse(type), KeepSplit = true, Threads = 2 };

        var parameters = ModelComparison.OracleParameters(options);
        parameters.KeepSplit = 1;
        // llama_model_quantize takes the prefix; llama-quantize strips .gguf from its argument to make it.
        Assert.Equal(0u, LlamaCppOracle.QuantizeModel(parts[0], _dir.File("theirs"), parameters, null));

        using (var set = GgufFile.Open(parts[1]))
        {
            var info = ModelQuantizer.RunKeepSplit(QuantizationPlanner.Create(set, options), _dir.File("ours.gguf"), threads: 2);
            Assert.Equal(parts.Count, info.SplitCount);
        }
        for (int i = 0; i < parts.Count; i++)
        {
            ModelComparison.AssertSameFile(GgufSplitNaming.PartPath(_dir.File("theirs"), i, parts.Count),
                GgufSplitNaming.PartPath(_dir.File("ours"), i, parts.Count), $"part {i + 1}");
        }
    }

    [Fact]
    public void KeepSplitOrderChangesTheMixAsInLlamaCpp()
    {
        // The "more bits" counters follow file order under --keep-split and name order without it.
        var parts = SplitModel(7, false);
        using var set = GgufFile.Open(parts[0]);
        var byName = QuantizationPlanner.Create(set, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q4_K_M") });
        var byPart = QuantizationPlanner.Create(set, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q4_K_M"), KeepSplit = true });
        Assert.Equal(set.Tensors.Select(t => t.Name), byPart.Tensors.Select(t => t.Name));
        Assert.NotEqual(byName.Tensors.Select(t => t.Name), byPart.Tensors.Select(t => t.Name));
        Assert.Throws<ArgumentException>(() => KeepSplitPlan.Create(byName, _dir.File("x.gguf")));
    }

    [Fact]
    public void AnExistingPartStopsTheRunBeforeAnythingIsWritten()
    {
        var parts = SplitModel(10, false);
        using var set = GgufFile.Open(parts[0]);
        var plan = QuantizationPlanner.Create(set, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q8_0"), KeepSplit = true });
        string existing = GgufSplitNaming.PartPath(_dir.File("out"), 1, parts.Count);
        File.WriteAllText(existing, "keep");
        var before = Directory.GetFiles(_dir.Path).Order().ToArray();
        Assert.Throws<GgufPs.Workflow.OutputExistsException>(() => ModelQuantizer.RunKeepSplit(plan, _dir.File("out.gguf"), threads: 2));
        Assert.Equal(before, Directory.GetFiles(_dir.Path).Order());
        Assert.Equal("keep", File.ReadAllText(existing));
    }
}
