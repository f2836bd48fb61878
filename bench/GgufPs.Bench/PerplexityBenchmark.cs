using System.Diagnostics;
using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Oracle;

namespace GgufPs.Bench;

/// <summary>
/// Perplexity throughput, ours against llama.cpp's llama_decode, on the 320M-parameter llama at c=512 with the same
/// thread count, for F16 and llama.cpp's Q8_0 and Q4_K_M of it. Each side runs in a child process of its own so that
/// its peak resident memory (VmHWM) is its own. Each chunk is timed (for ours, through the progress reports, which
/// include the scoring of the chunk) and the fastest chunk of all runs counts, which on a machine shared with other
/// work is the least disturbed measurement of each engine.
/// </summary>
internal static class PerplexityBenchmark
{
    private const int Context = 512;

    public static readonly string[] DefaultTypes = ["F16", "Q8_0", "Q4_K_M"];

    public static void Run(string benchDll, string work, string f16Model, string text, IReadOnlyList<string> types, int threads, int chunks)
    {
        var models = new List<(string Name, string Path)>();
        foreach (string name in types)
        {
            if (name == "F16")
            {
                models.Add((name, f16Model));
                continue;
            }
            var fileType = Enum.Parse<LlamaFileType>("MOSTLY_" + name);
            string path = Path.Combine(work, $"bench-llama-{name.ToLowerInvariant()}.gguf");
            if (!File.Exists(path) || File.GetLastWriteTimeUtc(path) < File.GetLastWriteTimeUtc(f16Model))
            {
                var parameters = LlamaCppOracle.DefaultQuantizeParams();
                parameters.FType = (int)fileType;
                parameters.NThread = threads;
                uint status = LlamaCppOracle.QuantizeModel(f16Model, path, parameters);
                if (status != 0)
                {
                    throw new InvalidOperationException($"llama.cpp could not quantize the benchmark model to {name} ({status}).");
                }
            }
            models.Add((name, path));
        }

        const int rounds = 3;
        Console.WriteLine($"perplexity: c={Context}, {chunks} chunks, {threads} threads, {Path.GetFileName(text)}; tokens/s = evaluated positions per second");
        Console.WriteLine($"of the fastest chunk over {rounds} alternating runs of each engine (load average {LoadAverage()} at the start)");
        Console.WriteLine("| type | size | GgufPs tok/s | llama.cpp tok/s | GgufPs / llama.cpp | GgufPs peak RSS | llama.cpp peak RSS | PPL GgufPs | PPL llama.cpp |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, path) in models)
        {
            var ours = (TokensPerSecond: 0.0, Perplexity: 0.0, PeakRss: 0L);
            var theirs = ours;
            for (int round = 0; round < rounds; round++)
            {
                var o = Child(benchDll, "ours", path, text, threads, chunks);
                var l = Child(benchDll, "llama", path, text, threads, chunks);
                ours = o.TokensPerSecond > ours.TokensPerSecond ? o : ours;
                theirs = l.TokensPerSecond > theirs.TokensPerSecond ? l : theirs;
            }
            Console.WriteLine(FormattableString.Invariant(
                $"| {name} | {new FileInfo(path).Length / 1e6:F0} MB | {ours.TokensPerSecond:F1} | {theirs.TokensPerSecond:F1} | {ours.TokensPerSecond / theirs.TokensPerSecond:F2}× | {ours.PeakRss / 1e6:F0} MB | {theirs.PeakRss / 1e6:F0} MB | {ours.Perplexity:F4} | {theirs.Perplexity:F4} |"));
        }
        Console.WriteLine($"(load average {LoadAverage()} at the end)");
    }

    /// <summary>The child side: measures one engine on one model and prints "tokens/s perplexity peak-rss".</summary>
    public static void RunChild(string engine, string model, string textPath, int threads, int chunks)
    {
        byte[] text = File.ReadAllBytes(textPath);
        double tokensPerSecond, perplexity;
        if (engine == "ours")
        {
            using var m = TransformerModel.Open(model);
            // The fastest chunk, as for llama.cpp below: on a shared machine it is the least disturbed one.
            var previous = TimeSpan.Zero;
            double best = 0;
            var progress = new SynchronousProgress(p =>
            {
                best = Math.Max(best, Context / (p.Elapsed - previous).TotalSeconds);
                previous = p.Elapsed;
            });
            var result = new PerplexityEvaluator(m, new PerplexityOptions { Context = Context, Chunks = chunks, Threads = threads, BatchSize = Context }).Measure(text, progress);
            tokensPerSecond = best;
            perplexity = result.Perplexity;
        }
        else
        {
            (tokensPerSecond, perplexity) = LlamaCpp(model, text, threads, chunks);
        }
        Console.WriteLine(FormattableString.Invariant($"{tokensPerSecond:R} {perplexity:R} {PeakResidentBytes()}"));
    }

    private static (double TokensPerSecond, double Perplexity) LlamaCpp(string model, byte[] text, int threads, int chunks)
    {
        using var oracle = LlamaCppOracle.LoadModel(model, Context, threads)
            ?? throw new InvalidOperationException($"llama.cpp could not load {model}.");
        int[] tokens = oracle.TokenizeBytes(text, addSpecial: true, parseSpecial: false);
        int vocabulary = oracle.VocabularySize;
        int bos = LlamaNative.llama_vocab_bos(oracle.Vocab);
        chunks = Math.Min(chunks, tokens.Length / Context);
        int first = Context / 2;
        double nll = 0;
        long count = 0;
        double best = 0;
        for (int c = 0; c < chunks; c++)
        {
            int[] batch = tokens[(c * Context)..((c + 1) * Context)];
            if (oracle.AddsBos())
            {
                batch[0] = bos;
            }
            var clock = Stopwatch.StartNew();
            float[] logits = oracle.EvaluateFrom(batch, first);
            best = Math.Max(best, Context / clock.Elapsed.TotalSeconds);
            for (int j = 0; j < Context - 1 - first; j++)
            {
                var row = logits.AsSpan(j * vocabulary, vocabulary);
                float max = row[0];
                foreach (float l in row)
                {
                    max = Math.Max(max, l);
                }
                double sum = 0;
                foreach (float l in row)
                {
                    sum += MathF.Exp(l - max);
                }
                nll += -((row[tokens[c * Context + first + j + 1]] - max) - Math.Log(sum));
                count++;
            }
        }
        return (best, Math.Exp(nll / count));
    }

    private static (double TokensPerSecond, double Perplexity, long PeakRss) Child(string benchDll, string engine, string model, string text, int threads, int chunks)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [benchDll, "perplexity-child", engine, model, text, threads.ToString(), chunks.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        string[] last = output.Trim().Split('\n')[^1].Split(' ');
        if (process.ExitCode != 0 || last.Length != 3)
        {
            throw new InvalidOperationException($"The {engine} benchmark of {model} failed ({process.ExitCode}): {output}{errors}");
        }
        return (double.Parse(last[0], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(last[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private sealed class SynchronousProgress(Action<PerplexityProgress> action) : IProgress<PerplexityProgress>
    {
        public void Report(PerplexityProgress value) => action(value);
    }

    /// <summary>The process's peak resident set (VmHWM), mapped model pages included.</summary>
    private static long PeakResidentBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
