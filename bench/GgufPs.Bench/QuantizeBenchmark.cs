using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using GgufPs.Quantization;
using GgufPs.Oracle;

namespace GgufPs.Bench;

/// <summary>
/// Quantizes the benchmark model with llama.cpp's llama_model_quantize and with ours, each in a fresh child process
/// (so each peak RSS is its own), with the same thread count, and checks that the two outputs are identical.
/// </summary>
internal static class QuantizeBenchmark
{
    public static readonly string[] DefaultTypes = ["Q4_K_M", "Q6_K", "Q3_K_M", "Q2_K", "Q8_0"];

    public static void Run(string model, string work, IReadOnlyList<string> types, int threads)
    {
        var info = GgufFile.ReadInfo(model);
        Console.WriteLine($"quantize: {Path.GetFileName(model)}, {info.FileSize / 1e6:F0} MB, {info.ParameterCount / 1e6:F0}M parameters, {threads} threads each, best of 2 runs");
        Console.WriteLine("| type | llama.cpp | GgufPs | speed-up | llama.cpp CPU | GgufPs CPU | llama.cpp peak RSS | GgufPs peak RSS | identical |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (string type in types)
        {
            string theirsPath = Path.Combine(work, $"bench-llama-{type}.gguf");
            string oursPath = Path.Combine(work, $"bench-ours-{type}.gguf");
            var theirs = Best(() => Child("llama", model, theirsPath, type, threads));
            var ours = Best(() => Child("ours", model, oursPath, type, threads));
            bool identical = Hash(theirsPath).SequenceEqual(Hash(oursPath));
            Console.WriteLine($"| {type} | {theirs.Seconds:F2} s | {ours.Seconds:F2} s | {theirs.Seconds / ours.Seconds:F2}x | {theirs.CpuSeconds:F2} s | {ours.CpuSeconds:F2} s | {theirs.PeakMb:F0} MB | {ours.PeakMb:F0} MB | {(identical ? "yes" : "NO")} |");
            File.Delete(theirsPath);
            File.Delete(oursPath);
        }
    }

    private static Measurement Best(Func<Measurement> run)
    {
        var first = run();
        var second = run();
        return first.Seconds <= second.Seconds ? first : second;
    }

    private static byte[] Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return SHA256.HashData(stream);
    }

    private readonly record struct Measurement(double Seconds, double CpuSeconds, double PeakMb);

    private static Measurement Child(string engine, string model, string output, string type, int threads)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(QuantizeBenchmark).Assembly.Location);
        }
        foreach (string a in new[] { "quantize-child", engine, model, output, type, threads.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{engine} {type} failed ({process.ExitCode}): {text}");
        }
        var parts = text.Trim().Split(' ');
        return new Measurement(double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The child side: one quantization, then "seconds cpuSeconds peakMB" on stdout.</summary>
    public static int RunChild(string engine, string model, string output, string type, int threads)
    {
        var preset = QuantizationPreset.Parse(type);
        var importance = NeedsImportance(model, preset) ? SyntheticImportance(model) : null;
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        if (engine == "llama")
        {
            var p = LlamaCppOracle.DefaultQuantizeParams();
            p.NThread = threads;
            p.FType = (int)preset.FileType;
            // llama-quantize records the importance matrix through metadata overrides; so does our planner.
            var metadata = importance is null
                ? null
                : new List<(string, object)> { ("quantize.imatrix.file", ImportanceName), ("quantize.imatrix.entries_count", (long)importance.Count) };
            if (LlamaCppOracle.QuantizeModel(model, output, p, importance, null, metadata) != 0)
            {
                return 2;
            }
        }
        else
        {
            QuantizationPlan plan;
            using (var file = GgufFile.Open(model))
            {
                var matrix = importance is null ? null : ImportanceMatrix.FromValues(ImportanceName, importance);
                plan = QuantizationPlanner.Create(file, new QuantizationOptions { Preset = preset, ImportanceMatrix = matrix });
            }
            ModelQuantizer.Run(plan, output, overwrite: true, threads: threads);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds:F3} {cpu:F3} {PeakResidentMegabytes():F1}"));
        return 0;
    }

    private const string ImportanceName = "synthetic.imatrix";

    // The IQ1/IQ2/IQ3_XXS mixes and Q2_K_S cannot run without an importance matrix.
    private static bool NeedsImportance(string model, QuantizationPreset preset)
    {
        using var file = GgufFile.Open(model);
        try
        {
            QuantizationPlanner.Create(file, new QuantizationOptions { Preset = preset });
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    // Deterministic, skewed importance values for every quantizable weight, the same for both engines.
    private static Dictionary<string, float[]> SyntheticImportance(string model)
    {
        using var file = GgufFile.Open(model);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var tensor in file.Tensors)
        {
            if (tensor.Shape.Length >= 2 && tensor.Name != "token_embd.weight")
            {
                var values = new float[tensor.Shape[0]];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = 0.05f + (i * 7919 % 1009) / 1009f * (i % 11 == 0 ? 8 : 1);
                }
                result[tensor.Name] = values;
            }
        }
        return result;
    }

    // VmHWM: the most resident memory this process has had, mapped file pages included.
    private static double PeakResidentMegabytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
