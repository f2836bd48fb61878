using GgufPs.Bench;

// Usage: GgufPs.Bench --work <dir> [--types Q4_K_M,Q6_K] [--threads n] [benchmark ...]; with no names, every benchmark runs.
// The competitors run in child processes of this program, so each one's peak memory is measured on its own.
if (args.Length == 6 && args[0] == "perplexity-child")
{
    PerplexityBenchmark.RunChild(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}
if (args.Length == 6 && args[0] == "imatrix-child")
{
    ImatrixBenchmark.RunChild(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}
if (args.Length > 0 && args[0] == "quantize-child")
{
    return QuantizeBenchmark.RunChild(args[1], args[2], args[3], args[4], int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
}
string work = Path.Combine(Environment.CurrentDirectory, "out", "bench");
var selected = new List<string>();
IReadOnlyList<string> types = QuantizeBenchmark.DefaultTypes;
bool typesGiven = false;
int threads = 2;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--work" && i + 1 < args.Length)
    {
        work = args[++i];
    }
    else if (args[i] == "--types" && i + 1 < args.Length)
    {
        types = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        typesGiven = true;
    }
    else if (typesGiven && GgufPs.Quantization.QuantizationPreset.TryParse(args[i], out _))
    {
        // build.ps1 -BenchArgs quantize,--types,Q4_K_M,Q6_K arrives with the types split apart.
        types = [.. types, args[i]];
    }
    else if (args[i] == "--threads" && i + 1 < args.Length)
    {
        threads = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    }
    else
    {
        selected.Add(args[i].ToLowerInvariant());
    }
}
Directory.CreateDirectory(work);
string vocab = Path.Combine(AppContext.BaseDirectory, "ggml-vocab-llama-spm.gguf");
Console.WriteLine($"GgufPs benchmarks on {Environment.ProcessorCount} logical processors; llama.cpp variant {GgufPs.Oracle.LlamaCppOracle.Variant}");

string BenchModel() => new SyntheticLlamaModel().Ensure(Path.Combine(work, "bench-llama-f16.gguf"), vocab);

var benchmarks = new Dictionary<string, Action>
{
    ["info"] = () => InfoBenchmark.Run(BenchModel()),
    ["quantize"] = () => QuantizeBenchmark.Run(BenchModel(), work, types, threads),
    ["convert"] = () => ConvertBenchmark.Run(work, Path.Combine(AppContext.BaseDirectory, "tokenizer.model")),
    ["perplexity"] = () => PerplexityBenchmark.Run(typeof(PerplexityBenchmark).Assembly.Location, work, BenchModel(),
        Path.Combine(AppContext.BaseDirectory, "tinystories_heldout.txt"), typesGiven ? types : PerplexityBenchmark.DefaultTypes, threads, chunks: 4),
    ["imatrix"] = () => ImatrixBenchmark.Run(typeof(ImatrixBenchmark).Assembly.Location, work, BenchModel(),
        Path.Combine(AppContext.BaseDirectory, "tinystories_heldout.txt"), threads, chunks: 4),
    ["kernels"] = () => KernelBenchmark.Run(work, threads),
};
foreach (var (name, run) in benchmarks)
{
    if (selected.Count == 0 || selected.Contains(name))
    {
        Console.WriteLine();
        run();
    }
}
return 0;
