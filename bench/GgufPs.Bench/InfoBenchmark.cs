using System.Diagnostics;
using GgufPs.Oracle;

namespace GgufPs.Bench;

/// <summary>How long reading a model's header takes: ours (GgufFile.ReadInfo) against llama.cpp's gguf_init_from_file.</summary>
internal static class InfoBenchmark
{
    public static void Run(string modelPath)
    {
        const int runs = 50;
        double ours = Median(runs, () => GgufFile.ReadInfo(modelPath));
        double theirs = Median(runs, () => LlamaCppOracle.CanOpenGguf(modelPath));
        var info = GgufFile.ReadInfo(modelPath);
        Console.WriteLine($"info: {Path.GetFileName(modelPath)}, {info.FileSize / 1e6:F0} MB, {info.TensorCount} tensors, vocabulary {info.VocabularySize}");
        Console.WriteLine($"| reader | median of {runs} (warm) |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| GgufPs GgufFile.ReadInfo | {ours:F3} ms |");
        Console.WriteLine($"| llama.cpp gguf_init_from_file + gguf_free (no_alloc) | {theirs:F3} ms |");
    }

    private static double Median(int runs, Action action)
    {
        // Enough calls for the JIT to settle on its optimized code, so that both sides run compiled code.
        for (int i = 0; i < 200; i++)
        {
            action();
        }
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
