using System.Diagnostics;
using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Oracle;

namespace GgufPs.Bench;

/// <summary>
/// Importance-matrix throughput on the 320M-parameter llama at c=512 with the same thread count. llama-imatrix is not
/// among the oracle's libraries, so llama.cpp is measured two ways: llama_decode with outputs at every position (what
/// llama-imatrix asks of it, without collecting: a lower bound on llama-imatrix's time), and the same with the eval
/// callback collecting every block weight's input as llama-imatrix does (the sums taken in C#). Ours is
/// New-ImportanceMatrix's computation, perplexity included. Each run is a child process of its own. Given a
/// llama.cpp build with llama-imatrix, whole runs of it (as a user runs it) are timed against whole runs of ours.
/// </summary>
internal static class ImatrixBenchmark
{
    private const int Context = 512;

    private static readonly string[] Engines = ["ours", "llama-decode", "llama-callback"];

    public static void Run(string benchDll, string f16Model, string q8Model, string text, int threads, int chunks, string? llamaCppPath)
    {
        var models = new List<(string Name, string Path)> { ("F16", f16Model), ("Q8_0", q8Model) };
        string? llamaImatrix = llamaCppPath is null ? null
            : new[] { "llama-imatrix", "llama-imatrix.exe", "bin/llama-imatrix", "bin/llama-imatrix.exe" }
                .Select(n => Path.Combine(Path.GetFullPath(llamaCppPath), n)).FirstOrDefault(File.Exists);
        if (llamaImatrix is not null)
        {
            RunAgainstBuild(llamaImatrix, models, text, threads, chunks);
            return;
        }
        if (llamaCppPath is not null)
        {
            Console.WriteLine($"imatrix: '{llamaCppPath}' has no llama-imatrix; comparing with the NuGet libllama instead.");
        }

        const int rounds = 3;
        Console.WriteLine($"imatrix: c={Context}, {chunks} chunks, {threads} threads, {Path.GetFileName(text)}; tokens/s = evaluated positions per second,");
        Console.WriteLine($"best of {rounds} alternating runs (load average {LoadAverage()} at the start). llama-imatrix itself is not in the oracle:");
        Console.WriteLine("llama.cpp is llama_decode with all logits, alone and with llama-imatrix's eval-callback collection.");
        Console.WriteLine("| type | GgufPs tok/s | llama_decode tok/s | llama_decode + callback tok/s | GgufPs / llama_decode | GgufPs / with callback | GgufPs peak RSS | llama.cpp peak RSS |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, path) in models)
        {
            var best = Engines.ToDictionary(e => e, _ => (TokensPerSecond: 0.0, PeakRss: 0L));
            for (int round = 0; round < rounds; round++)
            {
                foreach (string engine in Engines)
                {
                    var r = Child(benchDll, engine, path, text, threads, chunks);
                    if (r.TokensPerSecond > best[engine].TokensPerSecond)
                    {
                        best[engine] = r;
                    }
                }
            }
            var ours = best["ours"];
            var decode = best["llama-decode"];
            var callback = best["llama-callback"];
            Console.WriteLine(FormattableString.Invariant(
                $"| {name} | {ours.TokensPerSecond:F1} | {decode.TokensPerSecond:F1} | {callback.TokensPerSecond:F1} | {ours.TokensPerSecond / decode.TokensPerSecond:F2}× | {ours.TokensPerSecond / callback.TokensPerSecond:F2}× | {ours.PeakRss / 1e6:F0} MB | {callback.PeakRss / 1e6:F0} MB |"));
        }
        Console.WriteLine($"(load average {LoadAverage()} at the end)");
    }

    /// <summary>Whole runs, each a fresh process timed from start to exit: ours against the user's llama-imatrix.</summary>
    private static void RunAgainstBuild(string llamaImatrix, List<(string Name, string Path)> models, string text, int threads, int chunks)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Console.WriteLine($"imatrix: c={Context}, {chunks} chunks, {threads} threads, {Path.GetFileName(text)}, against {llamaImatrix}; whole runs, each a fresh process timed");
        Console.WriteLine($"from start to exit, both computing the perplexity alongside; tokens/s = evaluated tokens / wall time (load average {LoadAverage()} at the start)");
        Console.WriteLine("| type | GgufPs tok/s | llama-imatrix tok/s | GgufPs / llama-imatrix | wall GgufPs / llama-imatrix | CPU time GgufPs / llama-imatrix | peak RSS GgufPs / llama-imatrix |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        string output = Path.Combine(Path.GetTempPath(), $"ggufps-bench-{Environment.ProcessId}.imatrix");
        try
        {
            foreach (var (name, path) in models)
            {
                var ours = ChildProcess.RunBench(["imatrix-child", "ours", path, text, threads.ToString(inv), chunks.ToString(inv)]);
                if (ours.ExitCode != 0)
                {
                    throw new InvalidOperationException($"Our imatrix run on {path} failed ({ours.ExitCode}): {ours.Output}{ours.Errors}");
                }
                var theirs = ChildProcess.Run(llamaImatrix, ["-m", path, "-f", text, "-o", output, "-c", Context.ToString(inv),
                    "--chunks", chunks.ToString(inv), "-t", threads.ToString(inv), "-b", Context.ToString(inv)]);
                if (theirs.ExitCode != 0)
                {
                    throw new InvalidOperationException($"llama-imatrix failed on {path} ({theirs.ExitCode}): {theirs.Output}{theirs.Errors}");
                }
                int tokens = chunks * Context;
                Console.WriteLine(string.Create(inv,
                    $"| {name} | {tokens / ours.WallSeconds:F1} | {tokens / theirs.WallSeconds:F1} | {theirs.WallSeconds / ours.WallSeconds:F2}× | {ours.WallSeconds:F2} / {theirs.WallSeconds:F2} s | {ours.CpuSeconds:F1} / {theirs.CpuSeconds:F1} s | {ours.PeakRssBytes / 1e6:F0} / {theirs.PeakRssBytes / 1e6:F0} MB |"));
            }
        }
        finally
        {
            File.Delete(output);
        }
        Console.WriteLine($"(load average {LoadAverage()} at the end)");
    }

    /// <summary>The child side: one engine on one model; prints "tokens/s peak-rss".</summary>
    public static void RunChild(string engine, string model, string textPath, int threads, int chunks)
    {
        byte[] text = File.ReadAllBytes(textPath);
        double tokensPerSecond;
        switch (engine)
        {
            case "ours":
            {
                using var m = TransformerModel.Open(model);
                var matrix = new ImportanceMatrixAccumulator(Context, threads);
                var result = new ImportanceMatrixComputer(m, new ImportanceMatrixOptions { Context = Context, Chunks = chunks, Threads = threads })
                    .Compute(text, matrix);
                tokensPerSecond = result.TokensPerSecond;
                break;
            }
            case "llama-callback":
            {
                var result = LlamaCppImatrix.Compute(model, text, Context, chunks, processOutput: false, threads);
                tokensPerSecond = chunks * Context / result.Seconds;
                break;
            }
            default:
                tokensPerSecond = Decode(model, text, threads, chunks);
                break;
        }
        Console.WriteLine(FormattableString.Invariant($"{tokensPerSecond:R} {PeakResidentBytes()}"));
    }

    private static double Decode(string model, byte[] text, int threads, int chunks)
    {
        using var oracle = LlamaCppOracle.LoadModel(model, Context, threads)
            ?? throw new InvalidOperationException($"llama.cpp could not load {model}.");
        int[] tokens = oracle.TokenizeBytes(text, addSpecial: true, parseSpecial: false);
        int bos = LlamaNative.llama_vocab_bos(oracle.Vocab);
        chunks = Math.Min(chunks, tokens.Length / Context);
        var clock = Stopwatch.StartNew();
        for (int c = 0; c < chunks; c++)
        {
            int[] batch = tokens[(c * Context)..((c + 1) * Context)];
            if (oracle.AddsBos())
            {
                batch[0] = bos;
            }
            oracle.EvaluateAll(batch);
        }
        return chunks * Context / clock.Elapsed.TotalSeconds;
    }

    private static (double TokensPerSecond, long PeakRss) Child(string benchDll, string engine, string model, string text, int threads, int chunks)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [benchDll, "imatrix-child", engine, model, text, threads.ToString(), chunks.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        string[] last = output.Trim().Split('\n')[^1].Split(' ');
        if (process.ExitCode != 0 || last.Length != 2)
        {
            throw new InvalidOperationException($"The {engine} imatrix benchmark of {model} failed ({process.ExitCode}): {output}{errors}");
        }
        return (double.Parse(last[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

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
