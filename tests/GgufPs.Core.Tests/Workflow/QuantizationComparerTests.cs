using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;
using GgufPs.Tests.Inference;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

/// <summary>
/// The comparison's numbers are Measure-Perplexity's for the same files, its sizes are the files', and it leaves
/// nothing behind unless asked to.
/// </summary>
public class QuantizationComparerTests
{
    private const int Context = 64;
    private const int Chunks = 3;

    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    private static QuantizationComparisonOptions Options(string directory, bool keep, params string[] types) => new()
    {
        Types = types.Select(QuantizationPreset.Parse).ToArray(),
        Context = Context,
        Chunks = Chunks,
        Threads = 2,
        OutputDirectory = directory,
        KeepFiles = keep,
    };

    private static PerplexityResult Measure(string path, string? referenceLogits = null, string? saveLogits = null)
    {
        using var model = TransformerModel.Open(path);
        var evaluator = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Chunks = Chunks, Threads = 2 })
        {
            ReferenceLogitsPath = referenceLogits,
            SaveLogitsPath = saveLogits,
        };
        return evaluator.Measure(Text);
    }

    private static List<QuantizationComparison> RunAll(QuantizationComparer comparer)
    {
        var rows = new List<QuantizationComparison> { comparer.MeasureSource(Text) };
        rows.AddRange(comparer.Candidates.Select(c => comparer.Compare(c)));
        return rows;
    }

    [Fact]
    public void PerplexitiesAndSizesAreThoseOfTheFiles()
    {
        // A llama whose widths are multiples of 256, so the K-quants apply without fallbacks.
        using var directory = new TempDirectory();
        string source = directory.File("synthetic-F16.gguf");
        new SyntheticModel(ModelArchitecture.Llama, 256, 768, 2, 8, 2, GgmlType.F16).Write(source);
        List<QuantizationComparison> rows;
        string logits;
        using (var comparer = QuantizationComparer.Open(source, Options(directory.Path, keep: true, "Q8_0", "Q4_K_M", "Q2_K")))
        {
            logits = comparer.LogitsPath;
            rows = RunAll(comparer);
        }
        Assert.Equal(["F16", "Q8_0", "Q4_K_M", "Q2_K"], rows.Select(r => r.Type));
        // The source is measured while its log-probabilities are saved, as llama-perplexity --kl-divergence-base
        // does: that mode's float log-sum-exp can move the eighth digit from a plain measurement.
        var baseline = Measure(source);
        Assert.Equal(Measure(source, saveLogits: directory.File("check.logits")).Perplexity, rows[0].Perplexity);
        Assert.Equal(baseline.Perplexity, rows[0].Perplexity, baseline.Perplexity * 1e-6);
        Assert.True(rows[0].IsBaseline);
        foreach (var row in rows.Skip(1))
        {
            Assert.Equal(directory.File($"synthetic-{row.Type}.gguf"), row.Path);
            Assert.Equal(new FileInfo(row.Path!).Length, row.FileSize);
            Assert.Equal(GgufFile.ReadInfo(row.Path!).BitsPerWeight, row.BitsPerWeight);
            var measured = Measure(row.Path!);
            Assert.Equal(measured.Perplexity, row.Perplexity);
            Assert.Equal(measured.StandardError, row.StandardError);
            Assert.Equal(100 * (measured.Perplexity / rows[0].Perplexity - 1), row.Delta, 12);
            // The KL divergence is llama-perplexity --kl-divergence's against the source's saved log-probabilities.
            var against = Measure(row.Path!, logits);
            Assert.Equal(against.KlDivergence!.MeanKlDivergence, row.KLD);
            Assert.Equal(0, row.FallbackTensors);
            Assert.Equal(Chunks, row.Chunks);
        }
        Assert.True(rows[3].KLD > rows[2].KLD && rows[2].KLD > rows[1].KLD, "fewer bits diverge more");
        Assert.True(File.Exists(logits));
    }

    [Fact]
    public void IntermediateFilesAreRemoved()
    {
        using var directory = new TempDirectory();
        List<QuantizationComparison> rows;
        using (var comparer = QuantizationComparer.Open(FixturePaths.Stories260K, Options(directory.Path, keep: false, "Q8_0", "Q4_0")))
        {
            rows = RunAll(comparer);
            Assert.True(File.Exists(comparer.LogitsPath));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory.Path));
        Assert.All(rows.Skip(1), r => Assert.Null(r.Path));
        Assert.Equal(["stories260K.gguf", "stories260K-Q8_0.gguf", "stories260K-Q4_0.gguf"], rows.Select(r => r.Model));
        Assert.Equal(new FileInfo(FixturePaths.Stories260K).Length, rows[0].FileSize);
        // stories260K's ffn_down rows (172) fit no block type: each quantized row reports its fallbacks.
        Assert.Equal(5, rows[1].FallbackTensors);
    }

    [Fact]
    public void StoppingLeavesNothingBehind()
    {
        using var directory = new TempDirectory();
        using var stop = new CancellationTokenSource();
        using (var comparer = QuantizationComparer.Open(FixturePaths.Stories260K, Options(directory.Path, keep: false, "Q8_0")))
        {
            comparer.MeasureSource(Text);
            var progress = new SynchronousProgress(p =>
            {
                if (p.Stage == QuantizationComparisonStage.Measuring)
                {
                    stop.Cancel();
                }
            });
            Assert.ThrowsAny<OperationCanceledException>(() => comparer.Compare(comparer.Candidates[0], progress, stop.Token));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory.Path));
    }

    [Fact]
    public void ComparingBeforeMeasuringTheSourceIsRefused()
    {
        using var directory = new TempDirectory();
        using var comparer = QuantizationComparer.Open(FixturePaths.Stories260K, Options(directory.Path, keep: false, "Q8_0"));
        Assert.Throws<InvalidOperationException>(() => comparer.Compare(comparer.Candidates[0]));
    }

    [Fact]
    public void AQuantizedSourceIsRefused()
    {
        using var directory = new TempDirectory();
        string quantized = directory.File("stories260K-Q8_0.gguf");
        using (var file = GgufFile.Open(FixturePaths.Stories260K))
        {
            ModelQuantizer.Run(QuantizationPlanner.Create(file, new QuantizationOptions { Preset = QuantizationPreset.Parse("Q8_0") }), quantized);
        }
        var error = Assert.Throws<ArgumentException>(() => QuantizationComparer.Open(quantized, Options(directory.Path, keep: false, "Q4_0")));
        Assert.Contains("already quantized", error.Message);
    }

    [Fact]
    public void TypesThatCannotBeDoneCarryTheirReason()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("stories260K-Q4_0.gguf"), "a user's file");
        using var comparer = QuantizationComparer.Open(FixturePaths.Stories260K, Options(directory.Path, keep: true, "Q4_0", "Q8_0"));
        Assert.IsType<OutputExistsException>(comparer.Candidates[0].Error);
        Assert.Null(comparer.Candidates[0].Plan);
        Assert.NotNull(comparer.Candidates[1].Plan);
        Assert.Equal("a user's file", File.ReadAllText(directory.File("stories260K-Q4_0.gguf")));
    }

    [Fact]
    public void ImportanceOnlyTypesNeedAMatrix()
    {
        using var directory = new TempDirectory();
        string source = directory.File("synthetic-F16.gguf");
        new SyntheticModel(ModelArchitecture.Llama, 256, 768, 2, 8, 2, GgmlType.F16).Write(source);
        using var comparer = QuantizationComparer.Open(source, Options(directory.Path, keep: false, "Q2_K_S"));
        Assert.IsType<InvalidOperationException>(comparer.Candidates[0].Error);
        Assert.Contains("importance matrix", comparer.Candidates[0].Error!.Message);
    }

    [Fact]
    public void FallbacksAreSummarisedPerKind()
    {
        using var directory = new TempDirectory();
        using var comparer = QuantizationComparer.Open(FixturePaths.Stories260K, Options(directory.Path, keep: false, "Q8_0"));
        string summary = Assert.Single(comparer.Candidates[0].FallbackSummaries);
        Assert.StartsWith("Q8_0: 5 tensors use F32 instead of Q8_0 (rows of 172", summary);
        Assert.Contains("blk.0.ffn_down.weight", summary);
        Assert.Contains("and 2 more", summary);
    }

    [Theory]
    [InlineData(0.08, 0.0008, QualityRating.NearLossless)]
    [InlineData(-1.0, 0.005, QualityRating.NearLossless)]
    [InlineData(0.3, 0.02, QualityRating.Good)]
    [InlineData(1.68, 0.03, QualityRating.Good)]
    [InlineData(1.0, 0.07, QualityRating.Noticeable)]
    [InlineData(5.0, 0.05, QualityRating.Noticeable)]
    [InlineData(15.0, 0.1, QualityRating.Poor)]
    [InlineData(2.0, 0.3, QualityRating.Poor)]
    public void RatingTakesTheWorseOfPerplexityAndDivergence(double delta, double kld, string expected) =>
        Assert.Equal(expected, QualityRating.Rate(delta, kld));

    [Fact]
    public void RamIsTheFilePlusAnF16KeyValueCache()
    {
        // LLaMA-7B at n_ctx 512: llama.cpp reports "KV self size = 256.00 MiB" (32 layers, 4096 wide, F16).
        var llama7b = new TransformerConfig
        {
            Architecture = ModelArchitecture.Llama,
            ArchitectureName = "llama",
            EmbeddingLength = 4096,
            LayerCount = 32,
            HeadCount = 32,
            KeyValueHeadCount = 32,
            HeadDimension = 128,
            FeedForwardLength = 11008,
            ContextLength = 4096,
            RopeDimensions = 128,
            RopeFrequencyBase = 10000,
            RopeFrequencyScale = 1,
            NormEpsilon = 1e-5f,
        };
        Assert.Equal(256L << 20, RamEstimate.KeyValueCacheBytes(llama7b, 512));
        Assert.Equal(1000 + (256L << 20), RamEstimate.Bytes(1000, llama7b, 512));
    }

    private sealed class SynchronousProgress(Action<QuantizationComparisonProgress> action) : IProgress<QuantizationComparisonProgress>
    {
        public void Report(QuantizationComparisonProgress value) => action(value);
    }
}
