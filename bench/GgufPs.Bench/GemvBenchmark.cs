using System.Diagnostics;
using GgufPs.Inference;

namespace GgufPs.Bench;

/// <summary>
/// The batch-1 products alone (<see cref="Gemv"/>): each distinct matrix of a model's first block, and the output
/// matrix, multiplied by one token again and again on a worker team; the weight bytes read per second say how near
/// each kernel comes to the memory bandwidth, and the bytes per CPU second (with --threads 1, robust to a busy machine) how much
/// work each kernel does per byte. Matrices larger than the L3 make the figure a DRAM one.
/// </summary>
internal static unsafe class GemvBenchmark
{
    /// <summary>The types timed when --types is not given: the perplexity benchmark's, and the smaller files' kernels.</summary>
    public static readonly string[] DefaultTypes = ["F16", "Q8_0", "Q4_K_M", "Q3_K_M", "Q2_K", "Q4_0"];

    public static void Run(BenchModels models, IReadOnlyList<string> shapes, IReadOnlyList<string> types, int threads)
    {
        Console.WriteLine($"gemv: batch-1 products of block 0 and the output, {threads} threads, kernels {KernelSupport.Describe()}; load average {ChildProcess.LoadAverage()}");
        foreach (string shape in shapes)
        {
            foreach (string type in types)
            {
                using var model = TransformerModel.Open(models.Ensure(shape, type));
                var layer = model.Layers[0];
                var matrices = new[] { layer.Query, layer.Key, layer.Value, layer.Output, layer.Gate, layer.Up, layer.Down, model.Output }
                    .OfType<WeightMatrix>().DistinctBy(w => (w.Type, w.Rows, w.Columns));
                using var team = new WorkerTeam(threads);
                foreach (var w in matrices)
                {
                    if (!Gemv.Handles(w))
                    {
                        Console.WriteLine($"{shape} {type} {w.ProfileStage} {w.Rows}x{w.Columns}: no batch-1 kernel");
                        continue;
                    }
                    using var activations = new DecodeActivations(w.Columns);
                    var x = new float[w.Columns];
                    var y = new float[w.Rows];
                    var random = new Random(1);
                    for (int i = 0; i < x.Length; i++)
                    {
                        x[i] = (float)(random.NextDouble() - 0.5);
                    }
                    long bytes = w.RowBytes * w.Rows;
                    int repeats = (int)Math.Clamp(4_000_000_000L / bytes, 3, 2000);
                    fixed (float* xp = x, yp = y)
                    {
                        Gemv.Multiply(w, xp, yp, activations, team);
                        long cpu = CpuNanoseconds();
                        var clock = Stopwatch.StartNew();
                        for (int r = 0; r < repeats; r++)
                        {
                            activations.Forget();
                            Gemv.Multiply(w, xp, yp, activations, team);
                        }
                        double seconds = clock.Elapsed.TotalSeconds;
                        double cpuSeconds = (CpuNanoseconds() - cpu) / 1e9;
                        Console.WriteLine($"{shape} {type} {w.ProfileStage} {w.Rows}x{w.Columns}: {bytes * repeats / seconds / 1e9:F1} GB/s, {seconds / repeats * 1e6:F0} µs; {bytes * repeats / cpuSeconds / 1e9:F1} GB per CPU second; {InCache(w, xp, yp, activations):F1} GB per CPU second in cache");
                    }
                }
            }
        }
    }

    /// <summary>
    /// The kernel alone on this thread over the first rows (about 256 KB, which stay in the L2): the work per byte,
    /// free of the memory bandwidth that other processes share.
    /// </summary>
    private static double InCache(WeightMatrix w, float* x, float* y, DecodeActivations activations)
    {
        int group = Gemv.RowGroup(w);
        int groups = (int)Math.Clamp(256 * 1024 / (w.RowBytes * group), 1, w.Rows / group);
        long bytes = w.RowBytes * group * groups;
        int repeats = (int)(2_000_000_000L / bytes);
        long cpu = CpuNanoseconds();
        for (int r = 0; r < repeats; r++)
        {
            for (int g = 0; g < groups; g++)
            {
                Gemv.Rows(w, g * group, x, y + g * group, activations);
            }
        }
        return bytes * repeats / ((CpuNanoseconds() - cpu) / 1e9) / 1e9;
    }

    private static long CpuNanoseconds() => ProcessCpuClock.Nanoseconds?.Invoke() ?? 0;
}
