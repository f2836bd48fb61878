using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using GgufPs.Evaluation;
using GgufPs.Oracle;

namespace GgufPs.Bench;

/// <summary>
/// Perplexity as a user runs it: whole runs of c=512 over the same text with the same thread count, each engine in a
/// fresh process timed from start to exit (loading, tokenizing, the first chunk and its JIT included). With a
/// llama.cpp folder, its llama-perplexity runs exactly as a user would run it, and our side runs with the .NET
/// runtime switches that leave it the instructions that build uses. Without one, the competitor is LLamaSharp's
/// libllama from NuGet, driven through llama_decode in a child process: a weak build, which the output says.
/// </summary>
internal static partial class PerplexityBenchmark
{
    private const int Context = 512;

    public static readonly string[] DefaultTypes = ["F16", "Q8_0", "Q4_K_M"];

    public static void Run(BenchModels models, IReadOnlyList<string> shapes, string text, IReadOnlyList<string> types, int threads, int chunks,
        int rounds, string? llamaCppPath, IReadOnlyDictionary<string, string> extraEnvironment)
    {
        LlamaPerplexity? llama = llamaCppPath is null ? null : LlamaPerplexity.Find(llamaCppPath);
        Console.WriteLine($"perplexity: c={Context}, {chunks} chunks, {threads} threads, batch {Context}, {Path.GetFileName(text)}; each run a fresh process, timed from start to exit; best of {rounds} whole run(s) per engine, alternating");
        if (llama is null)
        {
            Console.WriteLine($"llama.cpp: LLamaSharp.Backend.Cpu's libllama from NuGet (variant {LlamaCppOracle.Variant}), driven through llama_decode in a .NET child process.");
            Console.WriteLine("That build is weak: it has AVX-512 but no AVX-512 VNNI and no AMX, unlike llama.cpp built for this machine. Pass -LlamaCppPath <folder with llama-perplexity> to compare with your own build.");
        }
        Console.WriteLine($"load average {ChildProcess.LoadAverage()} at the start");
        foreach (string shape in shapes)
        {
            var rows = new List<string>();
            string? header = null;
            foreach (string type in types)
            {
                string model = models.Ensure(shape, type);
                RunResult? ours = null, theirs = null;
                var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                for (int round = 0; round < rounds; round++)
                {
                    var t = llama is null ? NuGetRun(model, text, threads, chunks) : llama.Run(model, text, threads, chunks);
                    if (llama is not null && header is null)
                    {
                        header = llama.Describe(t.Log!);
                    }
                    foreach (var (key, value) in llama is null ? [] : LlamaPerplexity.SameInstructions(t.Log!))
                    {
                        environment[key] = value;
                    }
                    foreach (var (key, value) in extraEnvironment)
                    {
                        environment[key] = value;
                    }
                    var o = OursRun(model, text, threads, chunks, environment);
                    theirs = theirs is null || t.WallSeconds < theirs.WallSeconds ? t : theirs;
                    ours = ours is null || o.WallSeconds < ours.WallSeconds ? o : ours;
                }
                if (rows.Count == 0)
                {
                    string switches = environment.Count == 0 ? "none" : string.Join(' ', environment.Select(e => $"{e.Key}={e.Value}"));
                    Console.WriteLine();
                    Console.WriteLine($"#### {BenchModels.Describe(shape)}");
                    Console.WriteLine();
                    Console.WriteLine($"llama.cpp: {header ?? "NuGet LLamaSharp.Backend.Cpu libllama (" + LlamaCppOracle.Variant + ")"}; GgufPs runtime switches: {switches}.");
                    Console.WriteLine();
                    Console.WriteLine("| type | size | GgufPs tok/s | llama.cpp tok/s | GgufPs / llama.cpp | GgufPs load / first chunk / all chunks / whole run | llama.cpp load / first chunk / prompt eval / whole run | CPU time GgufPs / llama.cpp | peak RSS GgufPs / llama.cpp | PPL GgufPs / llama.cpp |");
                    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
                }
                int tokens = ours!.Chunks * Context;
                var inv = CultureInfo.InvariantCulture;
                string row = string.Join(" | ",
                    "",
                    type,
                    string.Create(inv, $"{new FileInfo(model).Length / 1e6:F0} MB"),
                    string.Create(inv, $"{tokens / ours.WallSeconds:F1}"),
                    string.Create(inv, $"{theirs!.Chunks * Context / theirs.WallSeconds:F1}"),
                    string.Create(inv, $"{tokens / ours.WallSeconds / (theirs.Chunks * Context / theirs.WallSeconds):F2}×"),
                    string.Create(inv, $"{ours.LoadSeconds:F2} / {ours.FirstChunkSeconds:F2} / {ours.EvalSeconds:F2} / {ours.WallSeconds:F2} s"),
                    string.Create(inv, $"{theirs.LoadSeconds:F2} / {theirs.FirstChunkSeconds:F2} / {theirs.EvalSeconds:F2} / {theirs.WallSeconds:F2} s"),
                    string.Create(inv, $"{ours.CpuSeconds:F1} / {theirs.CpuSeconds:F1} s"),
                    string.Create(inv, $"{ours.PeakRssBytes / 1e6:F0} / {theirs.PeakRssBytes / 1e6:F0} MB"),
                    string.Create(inv, $"{ours.Perplexity:F2} / {theirs.Perplexity:F2}"),
                    "").Trim();
                Console.WriteLine(row);
                rows.Add(row);
            }
        }
        Console.WriteLine();
        Console.WriteLine($"tokens/s = evaluated tokens ({chunks} chunks × {Context}) / wall time of the whole process, from start to exit. Load: GgufPs's TransformerModel.Open, llama.cpp's 'load time'.");
        Console.WriteLine("First chunk: GgufPs from the start of Measure (tokenizing included) to the first chunk's result; llama.cpp's 'seconds per pass'. All chunks: GgufPs's PerplexityResult.Seconds");
        Console.WriteLine("(every chunk with its scoring), llama.cpp's 'prompt eval time' (llama_decode only). CPU time: user + system of the whole process, all threads");
        Console.WriteLine("(llama.cpp's OpenMP threads spin while they wait, so on a busy machine its CPU time grows). Peak RSS includes the memory-mapped model.");
        Console.WriteLine($"(load average {ChildProcess.LoadAverage()} at the end)");
    }

    /// <summary>One whole run of one engine.</summary>
    internal sealed record RunResult(double WallSeconds, double LoadSeconds, double FirstChunkSeconds, double EvalSeconds, int Chunks,
        double Perplexity, long PeakRssBytes, string? Log = null, double CpuSeconds = 0);

    private static RunResult OursRun(string model, string text, int threads, int chunks, IReadOnlyDictionary<string, string> environment)
    {
        var result = ChildProcess.RunBench(["perplexity-child", "ours", model, text, threads.ToString(CultureInfo.InvariantCulture), chunks.ToString(CultureInfo.InvariantCulture)], environment);
        var report = ParseChild(result, "GgufPs", model);
        return report with { WallSeconds = result.WallSeconds, PeakRssBytes = Math.Max(report.PeakRssBytes, result.PeakRssBytes), CpuSeconds = result.CpuSeconds };
    }

    private static RunResult NuGetRun(string model, string text, int threads, int chunks)
    {
        var result = ChildProcess.RunBench(["perplexity-child", "nuget", model, text, threads.ToString(CultureInfo.InvariantCulture), chunks.ToString(CultureInfo.InvariantCulture)]);
        var report = ParseChild(result, "llama.cpp (NuGet)", model);
        return report with { WallSeconds = result.WallSeconds, PeakRssBytes = Math.Max(report.PeakRssBytes, result.PeakRssBytes), CpuSeconds = result.CpuSeconds };
    }

    private static RunResult ParseChild(ChildProcess.Result result, string engine, string model)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {engine} run on {model} failed ({result.ExitCode}): {result.Output}{result.Errors}");
        }
        return JsonSerializer.Deserialize<RunResult>(result.Output.Trim().Split('\n')[^1])!;
    }

    /// <summary>The child side: one whole run of one engine; prints a <see cref="RunResult"/> as JSON (wall time is the parent's).</summary>
    public static void RunChild(string engine, string model, string textPath, int threads, int chunks)
    {
        byte[] text = File.ReadAllBytes(textPath);
        RunResult result = engine == "ours" ? Ours(model, text, threads, chunks) : NuGetLlama(model, text, threads, chunks);
        Console.WriteLine(JsonSerializer.Serialize(result with { PeakRssBytes = ChildProcess.OwnPeakRss() }));
    }

    private static RunResult Ours(string modelPath, byte[] text, int threads, int chunks)
    {
        long clock = Stopwatch.GetTimestamp();
        using var model = Inference.TransformerModel.Open(modelPath);
        double load = Stopwatch.GetElapsedTime(clock).TotalSeconds;
        clock = Stopwatch.GetTimestamp();
        double first = 0;
        var progress = new SynchronousProgress<PerplexityProgress>(p =>
        {
            if (p.ChunksDone == 1)
            {
                first = Stopwatch.GetElapsedTime(clock).TotalSeconds;
            }
        });
        var result = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Chunks = chunks, Threads = threads, BatchSize = Context }).Measure(text, progress);
        return new RunResult(0, load, first, result.Seconds, result.Chunks, result.Perplexity, 0);
    }

    /// <summary>llama-perplexity's loop on the NuGet libllama: the same chunks, BOS, second-half scoring.</summary>
    private static RunResult NuGetLlama(string model, byte[] text, int threads, int chunks)
    {
        long clock = Stopwatch.GetTimestamp();
        using var oracle = LlamaCppOracle.LoadModel(model, Context, threads)
            ?? throw new InvalidOperationException($"llama.cpp could not load {model}.");
        double load = Stopwatch.GetElapsedTime(clock).TotalSeconds;
        int[] tokens = oracle.TokenizeBytes(text, addSpecial: true, parseSpecial: false);
        int vocabulary = oracle.VocabularySize;
        int bos = LlamaNative.llama_vocab_bos(oracle.Vocab);
        chunks = Math.Min(chunks, tokens.Length / Context);
        int first = Context / 2;
        double nll = 0;
        long count = 0;
        double eval = 0, firstChunk = 0;
        for (int c = 0; c < chunks; c++)
        {
            int[] batch = tokens[(c * Context)..((c + 1) * Context)];
            if (oracle.AddsBos())
            {
                batch[0] = bos;
            }
            clock = Stopwatch.GetTimestamp();
            float[] logits = oracle.EvaluateFrom(batch, first);
            eval += Stopwatch.GetElapsedTime(clock).TotalSeconds;
            firstChunk = c == 0 ? eval : firstChunk;
            for (int j = 0; j < Context - 1 - first; j++)
            {
                nll += TokenLogProbabilities.NegativeLogLikelihood(logits.AsSpan(j * vocabulary, vocabulary), tokens[c * Context + first + j + 1]);
                count++;
            }
        }
        return new RunResult(0, load, firstChunk, eval, chunks, Math.Exp(nll / count), 0);
    }

    /// <summary>A user's llama.cpp build: its llama-perplexity, run as a user runs it, and what its log says.</summary>
    private sealed partial class LlamaPerplexity(string folder, string executable)
    {
        public static LlamaPerplexity Find(string folder)
        {
            string full = Path.GetFullPath(folder);
            foreach (string name in new[] { "llama-perplexity", "llama-perplexity.exe", "bin/llama-perplexity", "bin/llama-perplexity.exe" })
            {
                string candidate = Path.Combine(full, name);
                if (File.Exists(candidate))
                {
                    return new LlamaPerplexity(full, candidate);
                }
            }
            throw new FileNotFoundException($"No llama-perplexity in '{full}': -LlamaCppPath takes the folder of a llama.cpp build (llama-perplexity, llama-bench, ...).");
        }

        public RunResult Run(string model, string text, int threads, int chunks)
        {
            string t = threads.ToString(CultureInfo.InvariantCulture);
            var result = ChildProcess.Run(executable, ["-m", model, "-f", text, "-c", Context.ToString(CultureInfo.InvariantCulture),
                "--chunks", chunks.ToString(CultureInfo.InvariantCulture), "-t", t, "-b", Context.ToString(CultureInfo.InvariantCulture)]);
            string log = result.Output + result.Errors;
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"llama-perplexity failed on {model} ({result.ExitCode}): {log}");
            }
            double load = Milliseconds(LoadTime(), log, "load time") / 1000;
            var eval = PromptEval().Match(log);
            if (!eval.Success)
            {
                throw new InvalidDataException($"llama-perplexity's log has no prompt eval time: {log}");
            }
            double evalSeconds = double.Parse(eval.Groups[1].Value, CultureInfo.InvariantCulture) / 1000;
            int evaluated = int.Parse(eval.Groups[2].Value, CultureInfo.InvariantCulture);
            var ppl = FinalEstimate().Match(log);
            if (!ppl.Success)
            {
                throw new InvalidDataException($"llama-perplexity's log has no final estimate: {log}");
            }
            double first = SecondsPerPass().Match(log) is { Success: true } pass ? double.Parse(pass.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
            return new RunResult(result.WallSeconds, load, first, evalSeconds, evaluated / Context,
                double.Parse(ppl.Groups[1].Value, CultureInfo.InvariantCulture), result.PeakRssBytes, log, result.CpuSeconds);
        }

        /// <summary>Names the build: its folder, its build line, the CPU features it uses and where its weights went.</summary>
        public string Describe(string log)
        {
            string build = BuildLine().Match(log) is { Success: true } b ? b.Groups[1].Value.Trim() : "unknown build";
            string features = string.Join(' ', Features(log));
            var buffers = ModelBuffer().Matches(log).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value.Trim()} MiB").Distinct();
            string amx = log.Contains("AMX is not ready to be used", StringComparison.Ordinal) ? "; AMX compiled in but not usable on this CPU ('AMX is not ready to be used!')" : "";
            return $"llama-perplexity in {folder} ({build}; CPU features {features}; model buffers {string.Join(", ", buffers)}{amx})";
        }

        /// <summary>
        /// The .NET runtime switches that leave our side the instructions the build uses: without AVX-512 in the build,
        /// DOTNET_EnableAVX512=0 and DOTNET_EnableGFNI=0 (ggml uses no GFNI, and most AVX2-only CPUs lack it); without
        /// any VNNI, DOTNET_EnableAVXVNNI=0; without AVX2, DOTNET_EnableAVX2=0.
        /// </summary>
        public static Dictionary<string, string> SameInstructions(string log)
        {
            var features = Features(log).ToHashSet(StringComparer.Ordinal);
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!features.Contains("AVX512"))
            {
                environment["DOTNET_EnableAVX512"] = "0";
                environment["DOTNET_EnableGFNI"] = "0";
            }
            if (!features.Contains("AVX_VNNI") && !features.Contains("AVX512_VNNI"))
            {
                environment["DOTNET_EnableAVXVNNI"] = "0";
            }
            if (!features.Contains("AVX2"))
            {
                environment["DOTNET_EnableAVX2"] = "0";
            }
            return environment;
        }

        private static IEnumerable<string> Features(string log) =>
            SystemInfo().Match(log) is { Success: true } m
                ? m.Groups[1].Value.Split('|').Select(f => f.Trim().Split(" = ")).Where(f => f.Length == 2 && f[1] == "1").Select(f => f[0])
                : [];

        private static double Milliseconds(Regex pattern, string log, string what) =>
            pattern.Match(log) is { Success: true } m
                ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidDataException($"llama-perplexity's log has no {what}: {log}");

        [GeneratedRegex(@"load time\s*=\s*([0-9.]+) ms")]
        private static partial Regex LoadTime();

        [GeneratedRegex(@"prompt eval time\s*=\s*([0-9.]+) ms\s*/\s*([0-9]+) tokens")]
        private static partial Regex PromptEval();

        [GeneratedRegex(@"Final estimate: PPL = ([0-9.]+)")]
        private static partial Regex FinalEstimate();

        [GeneratedRegex(@"([0-9.]+) seconds per pass")]
        private static partial Regex SecondsPerPass();

        [GeneratedRegex(@"^build: (.*)$", RegexOptions.Multiline)]
        private static partial Regex BuildLine();

        [GeneratedRegex(@"system_info:.*?CPU : ([^\n]*)")]
        private static partial Regex SystemInfo();

        [GeneratedRegex(@"load_tensors:\s+(\S+) model buffer size =\s+([0-9.]+) MiB")]
        private static partial Regex ModelBuffer();
    }
}
