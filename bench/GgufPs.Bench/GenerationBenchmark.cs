using System.Globalization;
using System.Text.Json;
using GgufPs.Evaluation;

namespace GgufPs.Bench;

/// <summary>
/// Generation speed as llama-bench measures it (-p 0 -n 64): random tokens decoded one at a time, no sampling.
/// Ours runs in this process through Measure-Throughput's core; with a llama.cpp folder, its llama-bench runs in a
/// child process right after, so that both are taken in the same minute of a shared machine. The table also gives
/// each rate as the weight bytes read per second (file size × tokens/s), the quantity a memory-bound decode is
/// limited by.
/// </summary>
internal static class GenerationBenchmark
{
    private const int Tokens = 64;

    public static void Run(BenchModels models, IReadOnlyList<string> shapes, IReadOnlyList<string> types, int threads, int rounds, string? llamaCppPath)
    {
        string? llamaBench = llamaCppPath is null ? null : Path.Combine(llamaCppPath, "llama-bench");
        if (llamaBench is not null && !File.Exists(llamaBench))
        {
            Console.WriteLine($"generation: no llama-bench in {llamaCppPath}; measuring ours only.");
            llamaBench = null;
        }
        Console.WriteLine($"generation: tg{Tokens}, {threads} threads, 3 repetitions, best of {rounds} round(s) per engine, alternating; load average {ChildProcess.LoadAverage()} at the start");
        foreach (string shape in shapes)
        {
            Console.WriteLine();
            Console.WriteLine($"{BenchModels.Describe(shape)}");
            Console.WriteLine("| type | file | GgufPs tg t/s | GB/s | llama-bench tg t/s | GB/s | ratio |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (string type in types)
            {
                string model = models.Ensure(shape, type);
                long size = new FileInfo(model).Length;
                double ours = 0, theirs = 0;
                for (int round = 0; round < rounds; round++)
                {
                    ours = Math.Max(ours, Ours(model, threads));
                    if (llamaBench is not null)
                    {
                        theirs = Math.Max(theirs, Theirs(llamaBench, model, threads));
                    }
                }
                string Rate(double r) => r > 0 ? r.ToString("F1", CultureInfo.InvariantCulture) : "-";
                string Bandwidth(double r) => r > 0 ? (r * size / 1e9).ToString("F1", CultureInfo.InvariantCulture) : "-";
                string ratio = theirs > 0 ? (ours / theirs).ToString("F2", CultureInfo.InvariantCulture) + "×" : "-";
                Console.WriteLine($"| {type} | {size / 1e9:F2} GB | {Rate(ours)} | {Bandwidth(ours)} | {Rate(theirs)} | {Bandwidth(theirs)} | {ratio} |");
            }
        }
    }

    private static double Ours(string model, int threads)
    {
        using var benchmark = ThroughputBenchmark.Open(model, new ThroughputOptions { PromptTokens = 0, GenerateTokens = Tokens, Repetitions = 3 });
        return benchmark.Run(threads).Single().TokensPerSecond;
    }

    private static double Theirs(string llamaBench, string model, int threads)
    {
        var result = ChildProcess.Run(llamaBench, ["-m", model, "-p", "0", "-n", Tokens.ToString(CultureInfo.InvariantCulture),
            "-t", threads.ToString(CultureInfo.InvariantCulture), "-r", "3", "-o", "json"]);
        if (result.ExitCode != 0)
        {
            Console.WriteLine($"llama-bench failed ({result.ExitCode}): {result.Errors.Trim()}");
            return 0;
        }
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement[0].GetProperty("avg_ts").GetDouble();
    }
}
