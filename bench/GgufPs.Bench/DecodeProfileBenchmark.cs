using System.Diagnostics;
using GgufPs.Inference;

namespace GgufPs.Bench;

/// <summary>
/// Where a decode step's time goes, stage by stage (<see cref="InferenceProfile"/>): a few tokens to warm up, then
/// tokens decoded one at a time, each stage's wall and CPU milliseconds per token, and the weight bytes each matrix
/// stage reads per second of its wall time (the part of the step that the memory bandwidth bounds).
/// </summary>
internal static class DecodeProfileBenchmark
{
    private const int Warmup = 8;
    private const int Tokens = 48;

    public static void Run(BenchModels models, IReadOnlyList<string> shapes, IReadOnlyList<string> types, int threads)
    {
        Console.WriteLine($"decode: per-stage time of {Tokens} tokens decoded one at a time after {Warmup}, {threads} threads, kernels {KernelSupport.Describe()}; load average {ChildProcess.LoadAverage()}");
        foreach (string shape in shapes)
        {
            foreach (string type in types)
            {
                using var model = TransformerModel.Open(models.Ensure(shape, type));
                var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var w in model.Layers.SelectMany(l => new[] { l.Query, l.Key, l.Value, l.Output, l.Gate, l.Up, l.Down }).Append(model.Output).OfType<WeightMatrix>())
                {
                    bytes[w.ProfileStage] = bytes.GetValueOrDefault(w.ProfileStage) + w.RowBytes * w.Rows;
                }
                using var context = new InferenceContext(model, Warmup + Tokens + 1, 1, threads);
                var logits = new float[model.VocabularySize];
                var random = new Random(1);
                for (int i = 0; i < Warmup; i++)
                {
                    context.Evaluate([random.Next(model.VocabularySize)], 0, logits);
                }
                var profile = new InferenceProfile(ProcessCpuClock.Nanoseconds);
                context.Profile = profile;
                profile.BeginChunk();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < Tokens; i++)
                {
                    context.Evaluate([random.Next(model.VocabularySize)], 0, logits);
                }
                double total = clock.Elapsed.TotalMilliseconds / Tokens;
                profile.EndChunk();
                var chunk = profile.Chunks[0];
                Console.WriteLine();
                Console.WriteLine($"{shape} {type}: {total:F2} ms a token ({1000 / total:F1} tok/s), {chunk.CpuMilliseconds / Tokens:F2} CPU ms a token");
                foreach (var (stage, time) in chunk.Stages.OrderByDescending(s => s.Value.Milliseconds))
                {
                    double ms = time.Milliseconds / Tokens;
                    string rate = bytes.TryGetValue(stage, out long b) ? $", {b / (ms / 1000) / 1e9:F1} GB/s" : "";
                    Console.WriteLine($"  {stage,-40} {ms,7:F2} ms {time.CpuMilliseconds / Tokens,7:F2} CPU ms{rate}");
                }
                Console.WriteLine($"  {"(outside the stages)",-40} {total - chunk.Stages.Values.Sum(s => s.Milliseconds) / Tokens,7:F2} ms");
            }
        }
    }
}
