using GgufPs.Bench;

// Usage: GgufPs.Bench --work <dir> [benchmark ...]; with no names, every benchmark runs.
if (args.Length == 6 && args[0] == "perplexity-child")
{
    GgufPs.Bench.PerplexityBenchmark.RunChild(args[1], args[2], args[3], int.Parse(args[4]), int.Parse(args[5]));
    return;
}
string work = Path.Combine(Environment.CurrentDirectory, "out", "bench");
var selected = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--work" && i + 1 < args.Length)
    {
        work = args[++i];
    }
    else
    {
        selected.Add(args[i].ToLowerInvariant());
    }
}
Directory.CreateDirectory(work);
string vocab = Path.Combine(AppContext.BaseDirectory, "ggml-vocab-llama-spm.gguf");
Console.WriteLine($"GgufPs benchmarks on {Environment.ProcessorCount} logical processors; llama.cpp variant {GgufPs.Tests.Oracle.LlamaCppOracle.Variant}");

string BenchModel() => new SyntheticLlamaModel().Ensure(Path.Combine(work, "bench-llama-f16.gguf"), vocab);

var benchmarks = new Dictionary<string, Action>
{
    ["info"] = () => InfoBenchmark.Run(BenchModel()),
    ["perplexity"] = () => PerplexityBenchmark.Run(typeof(PerplexityBenchmark).Assembly.Location, work, BenchModel(),
        Path.Combine(AppContext.BaseDirectory, "tinystories_heldout.txt"), threads: 2, chunks: 4),
    ["convert"] = () => ConvertBenchmark.Run(work, Path.Combine(AppContext.BaseDirectory, "tokenizer.model")),
};
foreach (var (name, run) in benchmarks)
{
    if (selected.Count == 0 || selected.Contains(name))
    {
        Console.WriteLine();
        run();
    }
}
