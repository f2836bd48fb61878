using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Tests.Inference;

namespace GgufPs.Tests.Evaluation;

/// <summary>The evaluator's options and modes: batches, cancellation, KL divergence, llama.cpp logits files, bad input.</summary>
public class PerplexityEvaluatorTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private static byte[] Text => File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));

    private static PerplexityOptions Options(int context = 64, int chunks = 4, int batch = 2048) =>
        new() { Context = context, Chunks = chunks, BatchSize = batch, Threads = 2 };

    [Fact]
    public void SmallerBatchesGiveTheSameResult()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var whole = new PerplexityEvaluator(model, Options(128, 3)).Measure(Text);
        var split = new PerplexityEvaluator(model, Options(128, 3, batch: 40)).Measure(Text);
        Assert.Equal(whole.Perplexity, split.Perplexity);
        Assert.Equal(whole.ChunkPerplexities, split.ChunkPerplexities);
    }

    [Fact]
    public void ReportsLlamaPerplexityStatistics()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var result = new PerplexityEvaluator(model, Options(128, 5)).Measure(Text);
        Assert.True(result.Completed);
        Assert.Equal(5, result.Chunks);
        Assert.Equal(5 * (128 - 1 - 64), result.TokensScored);
        Assert.Equal(result.Perplexity, result.ChunkPerplexities[^1], 12);
        Assert.InRange(result.StandardError, 0.01, result.Perplexity);
        Assert.True(result.TokensPerSecond > 0);
        Assert.Null(result.KlDivergence);
    }

    [Fact]
    public void StoppingKeepsTheFinishedChunks()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var stop = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.ChunksDone == 2)
            {
                stop.Cancel();
            }
        });
        var result = new PerplexityEvaluator(model, Options(128, 10)).Measure(Text, progress, stop.Token);
        Assert.False(result.Completed);
        Assert.Equal(2, result.Chunks);
        Assert.Equal(2, result.ChunkPerplexities.Length);
    }

    [Fact]
    public void StoppingBeforeAnyChunkThrows()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.Throws<OperationCanceledException>(() => new PerplexityEvaluator(model, Options()).Measure(Text, null, stop.Token));
    }

    [Fact]
    public void AModelAgainstItselfHasNoDivergence()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var same = TransformerModel.Open(FixturePaths.Stories260K);
        var result = new PerplexityEvaluator(model, Options(128, 3)) { ReferenceModel = same }.Measure(Text);
        var kld = result.KlDivergence!;
        Assert.Equal(3 * 63, kld.Tokens);
        Assert.InRange(kld.MeanKlDivergence, -1e-6, 1e-6);
        Assert.Equal(100.0, kld.SameTopTokenPercent);
        Assert.InRange(kld.LnPerplexityRatio, -1e-9, 1e-9);
        Assert.InRange(kld.RmsDeltaP, 0, 1e-6);
        Assert.Equal(result.Perplexity, kld.ReferencePerplexity, 6);
    }

    [Fact]
    public void QuantizationShowsInTheDivergenceFromTheOriginal()
    {
        using var original = TransformerModel.Open(models.Path("llama-F32"));
        using var quantized = TransformerModel.Open(models.Path("llama-Q2_K"));
        var result = new PerplexityEvaluator(quantized, Options()) { ReferenceModel = original }.Measure(Text);
        var kld = result.KlDivergence!;
        Assert.True(kld.MeanKlDivergence > 1e-4, kld.ToString());
        Assert.True(kld.SameTopTokenPercent < 100, kld.ToString());
        Assert.True(kld.KlDivergencePercentiles[99.0] >= kld.MedianKlDivergence);
        Assert.True(kld.MaximumKlDivergence >= kld.KlDivergencePercentiles[99.9]);
        Assert.True(kld.KlDivergencePercentiles[1.0] <= kld.MedianKlDivergence);
    }

    [Fact]
    public void LogitsFileRoundTripsThroughLlamaCppFormat()
    {
        using var dir = new TempDirectory();
        string logits = dir.File("base.logits");
        using var original = TransformerModel.Open(models.Path("llama-F32"));
        using var quantized = TransformerModel.Open(models.Path("llama-Q4_0"));
        var saved = new PerplexityEvaluator(original, Options()) { SaveLogitsPath = logits }.Measure(Text);

        // Header, tokens, then 4 chunks of 31 rows of (2 floats + 512 uint16).
        using (var stream = File.OpenRead(logits))
        {
            var header = LogitsFile.ReadHeader(stream, logits);
            Assert.Equal(64, header.Context);
            Assert.Equal(original.VocabularySize, header.Vocabulary);
            Assert.Equal(4, header.Chunks);
            Assert.Equal(original.Tokenizer.Tokenize(Text, true, false)[..256], header.Tokens);
        }
        Assert.Equal(20 + 4L * 256 + 4L * 31 * 2 * (512 + 4), new FileInfo(logits).Length);

        var fromFile = new PerplexityEvaluator(quantized, Options(chunks: 100)) { ReferenceLogitsPath = logits }.Measure([]);
        var onePass = new PerplexityEvaluator(quantized, Options()) { ReferenceModel = original }.Measure(Text);
        Assert.Equal(4, fromFile.Chunks);
        Assert.Equal(onePass.Perplexity, fromFile.Perplexity, 4);
        // The file keeps log-probabilities to 16 bits, so the reference's perplexity and the KLD agree closely.
        Assert.InRange(Math.Abs(fromFile.KlDivergence!.ReferencePerplexity / saved.Perplexity - 1), 0, 1e-4);
        Assert.InRange(Math.Abs(fromFile.KlDivergence.MeanKlDivergence - onePass.KlDivergence!.MeanKlDivergence), 0, 1e-3);
        Assert.Equal(onePass.KlDivergence.SameTopTokenPercent, fromFile.KlDivergence.SameTopTokenPercent, 6);
    }

    [Fact]
    public void StoppedSaveLeavesNoFile()
    {
        using var dir = new TempDirectory();
        string logits = dir.File("base.logits");
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var stop = new CancellationTokenSource();
        var progress = new SynchronousProgress(_ => stop.Cancel());
        var result = new PerplexityEvaluator(model, Options(128, 5)) { SaveLogitsPath = logits }.Measure(Text, progress, stop.Token);
        Assert.False(result.Completed);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void BadInputGetsClearErrors()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var evaluator = new PerplexityEvaluator(model, Options(128, 5));
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => evaluator.Measure([])).Message);
        Assert.Contains("needs at least 256", Assert.Throws<ArgumentException>(() => evaluator.Measure("Once upon a time."u8)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerplexityEvaluator(model, new PerplexityOptions { Context = 2 }));

        using var dir = new TempDirectory();
        using var shortContext = TransformerModel.Open(CopyWith(dir.File("short.gguf"), "llama.context_length", 64u));
        var warnings = new List<string>();
        new PerplexityEvaluator(shortContext, Options(128, 1)) { Warning = warnings.Add }.Measure(Text);
        Assert.Contains(warnings, w => w.Contains("trained on only 64"));
    }

    /// <summary>stories260K with one metadata value changed.</summary>
    private static string CopyWith(string path, string key, object value)
    {
        using var source = GgufFile.Open(FixturePaths.Stories260K);
        using var writer = new GgufWriter(path);
        var metadata = source.Metadata.Select(e => e.Key == key ? GgufMetadataEntry.Create(e.Key, value) : e).ToList();
        writer.WriteHeader(metadata, source.Tensors.Select(GgufTensorDescriptor.From).ToList());
        foreach (var t in source.Tensors)
        {
            writer.WriteTensorData(source.GetTensorData(t));
        }
        writer.Commit();
        return path;
    }

    [Fact]
    public void CorruptLogitsFilesAreRefused()
    {
        using var dir = new TempDirectory();
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        string notLogits = dir.File("text.logits");
        File.WriteAllText(notLogits, "hello world, this is not a logits file");
        string lying = dir.File("lying.logits");
        using (var s = File.Create(lying))
        {
            s.Write("_logits_"u8);
            s.Write(BitConverter.GetBytes(512));
            s.Write(BitConverter.GetBytes(512));
            s.Write(BitConverter.GetBytes(1_000_000));
        }
        var options = Options();
        Assert.Contains("_logits_", Assert.Throws<InvalidDataException>(() => new PerplexityEvaluator(model, options) { ReferenceLogitsPath = notLogits }.Measure([])).Message);
        Assert.Contains("promises", Assert.Throws<InvalidDataException>(() => new PerplexityEvaluator(model, options) { ReferenceLogitsPath = lying }.Measure([])).Message);
    }

    [Fact]
    public void UnsupportedArchitecturesAreNamed()
    {
        using var dir = new TempDirectory();
        string path = CopyWith(dir.File("mamba.gguf"), "general.architecture", "mamba");
        Assert.Contains("mamba", Assert.Throws<NotSupportedException>(() => TransformerModel.Open(path)).Message);
    }

    /// <summary>Progress that runs on the reporting thread, so a test can react before the next chunk starts.</summary>
    private sealed class SynchronousProgress(Action<PerplexityProgress> action) : IProgress<PerplexityProgress>
    {
        public void Report(PerplexityProgress value) => action(value);
    }
}
