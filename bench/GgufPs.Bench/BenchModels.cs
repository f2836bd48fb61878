using GgufPs.Quantization;

namespace GgufPs.Bench;

/// <summary>
/// The benchmark's models, made once in the work folder: the 320M-parameter llama (2048/5632, 4 layers, 32/8 heads,
/// 624 MB in F16) and a slice of a 7B llama (4096/11008, 4 layers, 32 heads, 2.1 GB in F16, larger than the L3
/// cache), each in F16 and quantized from it by Invoke-Quantize's core (whose output is llama-quantize's, byte for
/// byte). A quantized file older than its F16 source is made again.
/// </summary>
internal sealed class BenchModels(string work, string vocabPath, int threads)
{
    public const string Perf = "320M";
    public const string Slice7B = "7B-slice";

    public static readonly string[] Shapes = [Perf, Slice7B];

    /// <summary>The path of <paramref name="shape"/> in <paramref name="type"/> (F16 or a llama-quantize type name), made if missing.</summary>
    public string Ensure(string shape, string type)
    {
        string stem = shape switch
        {
            Perf => "bench-llama",
            Slice7B => "bench-llama7b-slice",
            _ => throw new ArgumentException($"Unknown benchmark model '{shape}'; use {string.Join(" or ", Shapes)}.", nameof(shape)),
        };
        var synthetic = shape == Perf
            ? new SyntheticLlamaModel()
            : new SyntheticLlamaModel { Embedding = 4096, FeedForward = 11008, Layers = 4, Heads = 32, KvHeads = 32 };
        string f16 = synthetic.Ensure(Path.Combine(work, $"{stem}-f16.gguf"), vocabPath);
        if (type.Equals("F16", StringComparison.OrdinalIgnoreCase))
        {
            return f16;
        }
        string path = Path.Combine(work, $"{stem}-{type.ToLowerInvariant()}.gguf");
        if (!File.Exists(path) || File.GetLastWriteTimeUtc(path) < File.GetLastWriteTimeUtc(f16))
        {
            Console.WriteLine($"(quantizing {Path.GetFileName(f16)} to {type} with Invoke-Quantize's core)");
            QuantizationPlan plan;
            using (var file = GgufFile.Open(f16))
            {
                plan = QuantizationPlanner.Create(file, new QuantizationOptions { Preset = QuantizationPreset.Parse(type) });
            }
            ModelQuantizer.Run(plan, path, overwrite: true, threads: threads);
        }
        return path;
    }

    /// <summary>What the shape is, for table captions.</summary>
    public static string Describe(string shape) => shape == Perf
        ? "320M llama (2048/5632, 4 layers, 32/8 heads, 32k vocabulary)"
        : "7B llama slice (4096/11008, 4 of 32 layers, 32 heads, 32k vocabulary)";
}
