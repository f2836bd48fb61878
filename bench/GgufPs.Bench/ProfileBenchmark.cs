using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using GgufPs.Evaluation;
using GgufPs.Inference;

namespace GgufPs.Bench;

/// <summary>
/// Where one perplexity chunk's time goes, stage by stage (<see cref="InferenceProfile"/>), for the first chunk of a
/// cold process against the chunks after it. Each type runs in a fresh child process so that its first chunk pays
/// what a user's does: JIT, first touches of the mapped model, thread start-up. The child also measures, warm, the
/// parts of the matrix products the stage timer cannot see inside the kernels (unpacking the weight panels,
/// quantizing the activations) and the cost of one parallel hand-off.
/// </summary>
internal static class ProfileBenchmark
{
    private const int Context = 512;

    public static void Run(BenchModels models, string shape, string text, IReadOnlyList<string> types, int threads, int chunks,
        IReadOnlyDictionary<string, string> environment)
    {
        Console.WriteLine($"profile: {BenchModels.Describe(shape)}, c={Context}, {chunks} chunks, {threads} threads, {Path.GetFileName(text)}, each type in a fresh process");
        if (environment.Count > 0)
        {
            Console.WriteLine($"runtime switches: {string.Join(' ', environment.Select(e => $"{e.Key}={e.Value}"))}");
        }
        Console.WriteLine($"load average {ChildProcess.LoadAverage()} at the start");
        foreach (string type in types)
        {
            string model = models.Ensure(shape, type);
            var result = ChildProcess.RunBench(["profile-child", model, text, threads.ToString(CultureInfo.InvariantCulture), chunks.ToString(CultureInfo.InvariantCulture)], environment);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"The profile of {model} failed ({result.ExitCode}): {result.Output}{result.Errors}");
            }
            string json = result.Output.Trim().Split('\n')[^1];
            var report = JsonSerializer.Deserialize<ChildReport>(json)!;
            Print(type, model, report, result.WallSeconds, threads);
        }
        Console.WriteLine($"(load average {ChildProcess.LoadAverage()} at the end)");
    }

    private static void Print(string type, string model, ChildReport r, double wall, int threads)
    {
        var first = r.Chunks[0];
        var rest = r.Chunks.Skip(1).ToArray();
        double Steady(Func<ChunkReport, double> f) => rest.Length == 0 ? double.NaN : rest.Average(f);
        double firstWall = first.WallMs;
        double steadyWall = Steady(c => c.WallMs);
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"### {type} ({new FileInfo(model).Length / 1e6:F0} MB): whole process {wall:F2} s, PPL {r.Perplexity:F4}"));
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant(
            $"Before the first chunk: runtime start to Main {r.StartupMs:F0} ms, opening the model {r.OpenMs:F0} ms ({r.OpenCpuMs:F0} ms CPU), tokenizing (cold) {r.TokenizeMs:F0} ms ({r.TokenizeCpuMs:F0} ms CPU; warm {r.TokenizeWarmCpuMs:F0} ms CPU), tokenizing again (warm) and the context's buffers {r.SetupMs:F0} ms. Tokens/s over the whole process: {r.Chunks.Length * Context / wall:F1}; over the chunks only: {r.Chunks.Length * Context / (r.Chunks.Sum(c => c.WallMs) / 1000):F1}; steady chunk: {Context / (steadyWall / 1000):F1}."));
        Console.WriteLine();
        Console.WriteLine("| stage | calls/chunk | first chunk ms | steady chunk ms | share of steady | first chunk CPU ms | steady CPU ms | share of steady CPU |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        double steadyCpu = Steady(c => c.CpuMs);
        var names = r.Chunks.SelectMany(c => c.Stages.Keys).Distinct()
            .OrderByDescending(n => Steady(c => c.Stages.GetValueOrDefault(n)?.CpuMs ?? 0)).ToList();
        foreach (string name in names)
        {
            var f = first.Stages.GetValueOrDefault(name) ?? new StageReport();
            double s = Steady(c => c.Stages.GetValueOrDefault(name)?.Ms ?? 0);
            double sc = Steady(c => c.Stages.GetValueOrDefault(name)?.CpuMs ?? 0);
            Console.WriteLine(FormattableString.Invariant($"| {name} | {f.Calls} | {f.Ms:F1} | {s:F1} | {100 * s / steadyWall:F1}% | {f.CpuMs:F1} | {sc:F1} | {100 * sc / steadyCpu:F1}% |"));
        }
        double firstOther = firstWall - first.Stages.Values.Sum(v => v.Ms);
        double steadyOther = steadyWall - Steady(c => c.Stages.Values.Sum(v => v.Ms));
        double firstOtherCpu = first.CpuMs - first.Stages.Values.Sum(v => v.CpuMs);
        double steadyOtherCpu = steadyCpu - Steady(c => c.Stages.Values.Sum(v => v.CpuMs));
        Console.WriteLine(FormattableString.Invariant($"| not in a stage | | {firstOther:F1} | {steadyOther:F1} | {100 * steadyOther / steadyWall:F1}% | {firstOtherCpu:F1} | {steadyOtherCpu:F1} | {100 * steadyOtherCpu / steadyCpu:F1}% |"));
        Console.WriteLine(FormattableString.Invariant($"| **chunk** | | **{firstWall:F1}** | **{steadyWall:F1}** | 100% | **{first.CpuMs:F1}** | **{steadyCpu:F1}** | 100% |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"First-use work: JIT {first.JitMs:F0} ms on all threads ({first.JitMethods} methods) in the first chunk, {Steady(c => c.JitMs):F1} ms ({Steady(c => c.JitMethods):F0}) in later ones; minor page faults {first.MinorFaults} in the first chunk, {Steady(c => c.MinorFaults):F0} in later ones; gen-0 GCs {first.Collections} and {Steady(c => c.Collections):F1}."));
        int dispatches = first.Stages.Sum(s => s.Value.Calls * DispatchesPerCall(s.Key));
        Console.WriteLine(FormattableString.Invariant(
            $"Thread hand-offs: about {dispatches} parallel loops per chunk; an empty one costs {r.ParallelForMicroseconds:F1} µs with Parallel.For and {r.WorkerPoolMicroseconds:F1} µs with a WorkerPool (warm), so about {dispatches * r.ParallelForMicroseconds / 1000:F1} ms per chunk."));
        if (r.Kernels.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Inside the matrix products, measured apart (warm, {threads} threads, one chunk's worth: every layer's matrix once at 512 tokens, the output at 256):");
            Console.WriteLine();
            Console.WriteLine("| product | steady ms | weight panels unpacked/decoded ms | activations quantized ms | the rest (multiply-adds) ms |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (var (name, k) in r.Kernels.OrderByDescending(k => Steady(c => c.Stages.GetValueOrDefault(k.Key)?.CpuMs ?? 0)))
            {
                double s = Steady(c => c.Stages.GetValueOrDefault(name)?.Ms ?? 0);
                Console.WriteLine(FormattableString.Invariant($"| {name} | {s:F1} | {k.UnpackMs:F1} | {k.QuantizeMs:F1} | {s - k.UnpackMs - k.QuantizeMs:F1} |"));
            }
        }
    }

    // Stages that run one parallel loop per call; int8 products run two (activations, then the product).
    private static int DispatchesPerCall(string stage) => stage switch
    {
        InferenceProfile.Residual or InferenceProfile.KeyValueStore or InferenceProfile.Bias => 0,
        _ when stage.Contains(' ', StringComparison.Ordinal) && stage.Split(' ')[^1] is var type && type != "F16" && type != "F32" && type != "BF16" => 2,
        _ => 1,
    };

    /// <summary>The child: one cold perplexity run with the profile on, then the warm measurements; prints JSON.</summary>
    public static void RunChild(string modelPath, string textPath, int threads, int chunks)
    {
        double startup = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        var cpu = ProcessCpuClock.Nanoseconds ?? (() => 0);
        long cpuStart = cpu();
        long clock = Stopwatch.GetTimestamp();
        using var model = TransformerModel.Open(modelPath);
        double open = Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
        double openCpu = (cpu() - cpuStart) / 1e6;
        byte[] text = File.ReadAllBytes(textPath);
        // Tokenizing once first keeps the tokenizer's own first-use cost out of the first chunk; Measure tokenizes again, warm.
        clock = Stopwatch.GetTimestamp();
        cpuStart = cpu();
        model.Tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
        double tokenize = Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
        double tokenizeCpu = (cpu() - cpuStart) / 1e6;
        cpuStart = cpu();
        model.Tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
        double tokenizeWarmCpu = (cpu() - cpuStart) / 1e6;
        var profile = new InferenceProfile(ProcessCpuClock.Nanoseconds);
        var reports = new List<ChunkReport>();
        var last = Counters.Now();
        long measureStart = Stopwatch.GetTimestamp();
        var progress = new SynchronousProgress<PerplexityProgress>(p =>
        {
            var now = Counters.Now();
            var chunk = profile.Chunks[^1];
            reports.Add(new ChunkReport
            {
                WallMs = chunk.WallMilliseconds,
                CpuMs = chunk.CpuMilliseconds,
                Stages = chunk.Stages.ToDictionary(s => s.Key, s => new StageReport { Ms = s.Value.Milliseconds, CpuMs = s.Value.CpuMilliseconds, Calls = s.Value.Calls }),
                JitMs = (now.Jit - last.Jit).TotalMilliseconds,
                JitMethods = now.JitMethods - last.JitMethods,
                MinorFaults = now.MinorFaults - last.MinorFaults,
                Collections = now.Collections - last.Collections,
            });
            last = now;
        });
        var result = new PerplexityEvaluator(model, new PerplexityOptions { Context = Context, Chunks = chunks, Threads = threads, BatchSize = Context }) { Profile = profile }
            .Measure(text, progress);
        double measured = Stopwatch.GetElapsedTime(measureStart).TotalMilliseconds;
        var report = new ChildReport
        {
            StartupMs = startup,
            OpenMs = open,
            TokenizeMs = tokenize,
            OpenCpuMs = openCpu,
            TokenizeCpuMs = tokenizeCpu,
            TokenizeWarmCpuMs = tokenizeWarmCpu,
            SetupMs = measured - profile.Chunks.Sum(c => c.WallMilliseconds),
            Perplexity = result.Perplexity,
            Chunks = [.. reports],
            ParallelForMicroseconds = HandOffMicroseconds(threads, pool: false),
            WorkerPoolMicroseconds = HandOffMicroseconds(threads, pool: true),
            Kernels = MeasureKernels(model, threads),
        };
        Console.WriteLine(JsonSerializer.Serialize(report));
    }

    private static double HandOffMicroseconds(int threads, bool pool)
    {
        const int runs = 2000;
        using var workers = new GgufPs.Quantization.WorkerPool(threads);
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        void Once()
        {
            if (pool)
            {
                workers.Run(threads, _ => { });
            }
            else
            {
                Parallel.For(0, threads, options, _ => { });
            }
        }
        for (int i = 0; i < 200; i++)
        {
            Once();
        }
        long clock = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++)
        {
            Once();
        }
        return Stopwatch.GetElapsedTime(clock).TotalMicroseconds / runs;
    }

    /// <summary>Per product stage, the time of the kernels' preparation steps for one chunk, on the kernels' thread split.</summary>
    private static unsafe Dictionary<string, KernelReport> MeasureKernels(TransformerModel model, int threads)
    {
        var result = new Dictionary<string, KernelReport>(StringComparer.Ordinal);
        var matrices = model.Layers.SelectMany(l => new[] { l.Query, l.Key, l.Value, l.QueryKeyValue, l.Output, l.Gate, l.Up, l.Down })
            .Where(m => m is not null).Select(m => (Matrix: m!, Tokens: Context)).Append((Matrix: model.Output, Tokens: Context / 2)).ToList();
        int widest = matrices.Max(m => m.Matrix.Columns);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)((long)Context * widest * sizeof(float)), 64);
        try
        {
            var random = new Random(1);
            for (long i = 0; i < (long)Context * widest; i++)
            {
                x[i] = (float)(random.NextDouble() * 2 - 1);
            }
            foreach (var (w, tokens) in matrices)
            {
                var sums = result.GetValueOrDefault(w.ProfileStage) ?? new KernelReport();
                if (Int8Gemm.Handles(w.Type))
                {
                    var format = Int8Format.For(w.Type)!;
                    long clock = Stopwatch.GetTimestamp();
                    using (new QuantizedActivations(x, tokens, (tokens + 3) / 4 * 4, w.Columns, format.KQuant, format.GroupSize, threads))
                    {
                        sums.QuantizeMs += Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
                    }
                    int panels = (w.Rows + QuantizedPanel.Rows - 1) / QuantizedPanel.Rows;
                    clock = Stopwatch.GetTimestamp();
                    Split(panels, threads, (first, last) =>
                    {
                        using var panel = new QuantizedPanel(w.Columns, format);
                        for (int p = first; p < last; p++)
                        {
                            panel.Load(w, p * QuantizedPanel.Rows, Math.Min(QuantizedPanel.Rows, w.Rows - p * QuantizedPanel.Rows));
                        }
                    });
                    sums.UnpackMs += Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
                }
                else
                {
                    const int panelRows = 64;
                    int panels = (w.Rows + panelRows - 1) / panelRows;
                    long clock = Stopwatch.GetTimestamp();
                    Split(panels, threads, (first, last) =>
                    {
                        var panel = new float[panelRows * w.Columns];
                        for (int p = first; p < last; p++)
                        {
                            for (int r = 0; r < panelRows && p * panelRows + r < w.Rows; r++)
                            {
                                w.DecodeRow(p * panelRows + r, 0, panel.AsSpan(r * w.Columns, w.Columns));
                            }
                        }
                    });
                    sums.UnpackMs += Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
                }
                result[w.ProfileStage] = sums;
            }
        }
        finally
        {
            NativeMemory.AlignedFree(x);
        }
        return result;
    }

    private static void Split(int items, int threads, Action<int, int> body)
    {
        int workers = Math.Max(1, Math.Min(threads, items));
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
            w => body((int)((long)items * w / workers), (int)((long)items * (w + 1) / workers)));
    }

    private readonly record struct Counters(TimeSpan Jit, long JitMethods, long MinorFaults, int Collections)
    {
        public static Counters Now()
        {
            long faults = 0;
            if (File.Exists("/proc/self/stat"))
            {
                // Fields after the command's closing parenthesis: state is field 3, minflt field 10.
                string stat = File.ReadAllText("/proc/self/stat");
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                faults = long.Parse(fields[7], CultureInfo.InvariantCulture);
            }
            return new Counters(System.Runtime.JitInfo.GetCompilationTime(), System.Runtime.JitInfo.GetCompiledMethodCount(), faults,
                GC.CollectionCount(0));
        }
    }

    private sealed class ChildReport
    {
        public double StartupMs { get; set; }
        public double OpenMs { get; set; }
        public double SetupMs { get; set; }
        public double Perplexity { get; set; }
        public ChunkReport[] Chunks { get; set; } = [];
        public double TokenizeMs { get; set; }
        public double OpenCpuMs { get; set; }
        public double TokenizeCpuMs { get; set; }
        public double TokenizeWarmCpuMs { get; set; }
        public double ParallelForMicroseconds { get; set; }
        public double WorkerPoolMicroseconds { get; set; }
        public Dictionary<string, KernelReport> Kernels { get; set; } = [];
    }

    private sealed class ChunkReport
    {
        public double WallMs { get; set; }
        public double CpuMs { get; set; }
        public Dictionary<string, StageReport> Stages { get; set; } = [];
        public double JitMs { get; set; }
        public long JitMethods { get; set; }
        public long MinorFaults { get; set; }
        public int Collections { get; set; }
    }

    private sealed class StageReport
    {
        public double Ms { get; set; }
        public double CpuMs { get; set; }
        public int Calls { get; set; }
    }

    private sealed class KernelReport
    {
        public double UnpackMs { get; set; }
        public double QuantizeMs { get; set; }
    }
}
