using GgufPs.Evaluation;

namespace GgufPs.Tests.Evaluation;

/// <summary>Measure-Throughput's core: llama-bench's tests, rows and statistics.</summary>
public class ThroughputBenchmarkTests
{
    [Fact]
    public void EachTestGivesARowWithLlamaBenchsStatistics()
    {
        using var bench = ThroughputBenchmark.Open(FixturePaths.Stories260K, new ThroughputOptions { PromptTokens = 32, GenerateTokens = 8, Repetitions = 3 });
        Assert.Equal(["pp32", "tg8"], bench.Tests);
        var progress = new List<ThroughputProgress>();
        var rows = bench.Run(2, new SynchronousProgress<ThroughputProgress>(progress.Add)).ToList();
        Assert.Equal(["pp32", "tg8"], rows.Select(r => r.Test));
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var info = file.ToModelInfo();
        foreach (var row in rows)
        {
            Assert.Equal("stories260K.gguf", row.Model);
            Assert.Equal("F32", row.Type);
            Assert.Equal(info.TensorBytes, row.SizeBytes);
            Assert.Equal(info.ParameterCount, row.Parameters);
            Assert.Equal(2, row.Threads);
            Assert.Equal(3, row.Samples.Count);
            Assert.All(row.Samples, s => Assert.True(s > 0));
            Assert.Equal(row.Samples.Average(), row.TokensPerSecond, 9);
            Assert.Equal(ThroughputBenchmark.StandardDeviation(row.Samples), row.StandardDeviation);
        }
        Assert.Equal((32, 0), (rows[0].PromptTokens, rows[0].GeneratedTokens));
        Assert.Equal((0, 8), (rows[1].PromptTokens, rows[1].GeneratedTokens));
        Assert.Equal(new ThroughputProgress("tg8", 2, 3, 3), progress[^1]);
        Assert.Equal(100, progress[^1].PercentComplete);
    }

    [Fact]
    public void ACountOfZeroSkipsItsTest()
    {
        using var bench = ThroughputBenchmark.Open(FixturePaths.Stories260K, new ThroughputOptions { PromptTokens = 0, GenerateTokens = 4, Repetitions = 1 });
        var rows = bench.Run(1).ToList();
        Assert.Equal("tg4", Assert.Single(rows).Test);
        Assert.Equal(0, rows[0].StandardDeviation);
    }

    [Fact]
    public void TheStandardDeviationIsTheSampleOne()
    {
        Assert.Equal(0, ThroughputBenchmark.StandardDeviation([5.0]));
        Assert.Equal(Math.Sqrt(5.0 / 3), ThroughputBenchmark.StandardDeviation([1.0, 2.0, 3.0, 4.0]), 12);
    }

    [Fact]
    public void SamplesReadAsOneLineAndAList()
    {
        var samples = new ThroughputSamples([12.5, 13.25]);
        Assert.Equal("12.5 13.25", samples.ToString());
        Assert.Equal(2, samples.Count);
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ThroughputBenchmark.Open(FixturePaths.Stories260K, new ThroughputOptions { Repetitions = 0 }));
        Assert.Throws<ArgumentException>(() => ThroughputBenchmark.Open(FixturePaths.Stories260K, new ThroughputOptions { PromptTokens = -1 }));
        using var bench = ThroughputBenchmark.Open(FixturePaths.Stories260K, new ThroughputOptions());
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.Run(0).ToList());
    }

    [Fact]
    public void CancellationStopsTheTest()
    {
        using var bench = ThroughputBenchmark.Open(FixturePaths.Stories260K, new ThroughputOptions { PromptTokens = 64, Repetitions = 50 });
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => bench.Run(1, null, cancel.Token).ToList());
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
