using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Bench;

/// <summary>
/// The matrix kernels alone, in process, on the 320M benchmark model's shapes with a batch of 512 tokens: the
/// fastest of several runs of each kernel this CPU has, in GOP/s (two operations per multiply-add), beside the
/// vpdpbusd peak measured on the same threads (a loop of independent 256-bit vpdpbusd on registers), and the time
/// of the int8 kernels' own preparation (activation quantization, panel unpacking). Times are the process's CPU
/// time divided by the threads, which a machine shared with other work disturbs less than the wall clock.
/// </summary>
internal static unsafe class KernelBenchmark
{
    private const int Tokens = 512;
    private const int Rounds = 5;

    private static readonly (string Name, int Rows, int Columns)[] Shapes =
    [
        ("attn_q 2048×2048", 2048, 2048),
        ("ffn_up 5632×2048", 5632, 2048),
        ("ffn_down 2048×5632", 2048, 5632),
    ];

    public static void Run(string work, int threads)
    {
        Console.WriteLine($"kernels: {KernelSupport.Describe()}; {threads} threads, {Tokens} tokens, fastest of {Rounds} runs (load average {LoadAverage()})");
        double peak = AvxVnni.IsSupported ? VnniPeak(threads) : 0;
        if (peak > 0)
        {
            Console.WriteLine(FormattableString.Invariant($"vpdpbusd peak on {threads} threads: {peak / 1e9:F0} GOP/s (int8 multiply-adds × 2)"));
        }
        Console.WriteLine("| type | shape | kernel | ms | GOP/s | of vpdpbusd peak |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var random = new Random(1);
        foreach (var type in new[] { GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            foreach (var (name, rows, columns) in Shapes)
            {
                string path = Path.Combine(work, $"kernel-{type}-{rows}x{columns}.gguf");
                WriteMatrix(path, type, rows, columns, random);
                using var file = GgufFile.Open(path);
                var w = new WeightMatrix(file, file.Tensors[0]);
                float* x = (float*)NativeMemory.AlignedAlloc((nuint)(Tokens * columns * sizeof(float)), 64);
                float* y = (float*)NativeMemory.AlignedAlloc((nuint)(Tokens * rows * sizeof(float)), 64);
                try
                {
                    for (int i = 0; i < Tokens * columns; i++)
                    {
                        x[i] = (float)((random.NextDouble() - 0.5) * 4);
                    }
                    double operations = 2.0 * rows * columns * Tokens;
                    if (type == GgmlType.F16)
                    {
                        ActivationRounding.RoundToHalf(new ReadOnlySpan<float>(x, Tokens * columns), new Span<float>(x, Tokens * columns));
                        foreach (var width in Enum.GetValues<VectorWidth>().Where(KernelSupport.Supports).Reverse())
                        {
                            Report(type, name, $"float {width}", Fastest(() => FloatGemm.Multiply(w, x, Tokens, y, rows, threads, width), threads), operations, peak);
                        }
                        continue;
                    }
                    foreach (var kernel in Enum.GetValues<Int8Kernel>().Where(k => k != Int8Kernel.None && KernelSupport.Supports(k)).Reverse())
                    {
                        Report(type, name, $"int8 {kernel}", Fastest(() => Int8Gemm.Multiply(w, x, Tokens, y, rows, threads, kernel), threads), operations, peak);
                    }
                    var format = Int8Format.For(type)!;
                    double quantize = Fastest(() =>
                    {
                        using var a = new QuantizedActivations(x, Tokens, Tokens, columns, format.KQuant, format.GroupSize, threads);
                    }, threads);
                    double unpack = Fastest(() =>
                    {
                        using var panel = new QuantizedPanel(columns, format);
                        for (int n0 = 0; n0 < rows; n0 += QuantizedPanel.Rows)
                        {
                            panel.Load(w, n0, Math.Min(QuantizedPanel.Rows, rows - n0));
                        }
                    }, 1);
                    Console.WriteLine(FormattableString.Invariant($"| {type} | {name} | (activation quantization {quantize * 1e3:F1} ms on {threads} threads, panel unpacking {unpack * 1e3:F1} ms on one) | | | |"));
                }
                finally
                {
                    NativeMemory.AlignedFree(x);
                    NativeMemory.AlignedFree(y);
                    File.Delete(path);
                }
            }
        }
        Console.WriteLine($"(load average {LoadAverage()} at the end)");
    }

    private static void Report(GgmlType type, string shape, string kernel, double seconds, double operations, double peak)
    {
        double rate = operations / seconds;
        string share = peak > 0 ? FormattableString.Invariant($"{rate / peak:P0}") : "";
        Console.WriteLine(FormattableString.Invariant($"| {type} | {shape} | {kernel} | {seconds * 1e3:F1} | {rate / 1e9:F0} | {share} |"));
    }

    private static double Fastest(Action run, int threads)
    {
        run();
        double best = double.MaxValue;
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < Rounds; i++)
        {
            process.Refresh();
            var start = process.TotalProcessorTime;
            run();
            process.Refresh();
            best = Math.Min(best, (process.TotalProcessorTime - start).TotalSeconds / threads);
        }
        return best;
    }

    /// <summary>Twelve independent vpdpbusd chains per thread: the instruction's throughput, as operations per second.</summary>
    private static double VnniPeak(int threads)
    {
        const long Iterations = 20_000_000;
        var sink = new int[threads];
        double seconds = Fastest(() => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sink[t] = VnniLoop(Iterations)), threads);
        return threads * Iterations * 12 * 32 * 2 / seconds;
    }

    private static int VnniLoop(long iterations)
    {
        var w = Vector256.Create((byte)3);
        var a = Vector256.Create((sbyte)-2);
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<int> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iterations; i++)
        {
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, w, a);
            c1 = AvxVnni.MultiplyWideningAndAdd(c1, w, a);
            c2 = AvxVnni.MultiplyWideningAndAdd(c2, w, a);
            c3 = AvxVnni.MultiplyWideningAndAdd(c3, w, a);
            c4 = AvxVnni.MultiplyWideningAndAdd(c4, w, a);
            c5 = AvxVnni.MultiplyWideningAndAdd(c5, w, a);
            c6 = AvxVnni.MultiplyWideningAndAdd(c6, w, a);
            c7 = AvxVnni.MultiplyWideningAndAdd(c7, w, a);
            c8 = AvxVnni.MultiplyWideningAndAdd(c8, w, a);
            c9 = AvxVnni.MultiplyWideningAndAdd(c9, w, a);
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, w, a);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, w, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static void WriteMatrix(string path, GgmlType type, int rows, int columns, Random random)
    {
        var format = BlockFormats.Get(type);
        using var writer = new GgufWriter(path);
        writer.WriteHeader([GgufMetadataEntry.Create("general.architecture", "bench")], [new GgufTensorDescriptor("w", type, [columns, rows])]);
        var values = new float[columns];
        var bytes = new byte[format.RowBytes(columns)];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < columns; i++)
            {
                values[i] = (float)((random.NextDouble() - 0.5) * 0.1);
            }
            format.Quantize(values, 1, columns, bytes);
            writer.WriteTensorData(bytes);
        }
        writer.Commit();
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
