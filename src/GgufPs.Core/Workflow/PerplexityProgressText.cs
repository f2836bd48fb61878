using System.Globalization;
using GgufPs.Evaluation;

namespace GgufPs.Workflow;

/// <summary>Measure-Perplexity's progress texts, with llama-perplexity's running estimate line ([chunk]perplexity).</summary>
public static class PerplexityProgressText
{
    public static string Activity(string modelPath) => $"Measuring the perplexity of {Path.GetFileName(modelPath)}";

    public const string FirstChunkStatus = "Tokenizing and evaluating the first chunk...";

    public static string Status(PerplexityProgress progress) =>
        string.Create(CultureInfo.InvariantCulture, $"Chunk {progress.ChunksDone} of {progress.Chunks}: perplexity {progress.RunningPerplexity:F4}");

    public static string RunningEstimate(PerplexityProgress progress) =>
        string.Create(CultureInfo.InvariantCulture, $"[{progress.ChunksDone}]{progress.RunningPerplexity:F4}");

    public static string Stopped(PerplexityResult result) => $"Stopped after {result.Chunks} chunk(s); the result covers those only.";

    public const string StoppedBeforeFirstChunk = "Stopped before the first chunk was finished; there is no result.";
}
