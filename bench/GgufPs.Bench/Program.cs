using GgufPs.Bench;

// Usage: GgufPs.Bench --work <dir> [--types Q4_K_M,Q6_K] [--threads n] [--chunks n] [--rounds n] [--models 320M,7B-slice]
//   [--llama-cpp <folder of a llama.cpp build>] [--env NAME=VALUE] [benchmark ...]; with no names, every benchmark but the profiles and gemv runs.
// The competitors run in child processes of this program, so each one's peak memory is measured on its own.
if (args.Length == 6 && args[0] == "perplexity-child")
{
    PerplexityBenchmark.RunChild(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}
if (args.Length == 5 && args[0] == "profile-child")
{
    ProfileBenchmark.RunChild(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
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
int chunks = 4;
int rounds = 1;
string? llamaCpp = null;
IReadOnlyList<string> shapes = BenchModels.Shapes;
bool shapesGiven = false;
var childEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
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
    else if (args[i] == "--env" && i + 1 < args.Length && args[i + 1].Split('=', 2) is [var key, var value])
    {
        // Runtime switches for our child processes, e.g. --env DOTNET_TieredCompilation=0.
        childEnvironment[key] = value;
        i++;
    }
    else if (args[i] == "--llama-cpp" && i + 1 < args.Length)
    {
        llamaCpp = args[++i];
    }
    else if (args[i] == "--models" && i + 1 < args.Length)
    {
        shapes = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        shapesGiven = true;
    }
    else if (shapesGiven && BenchModels.Shapes.Contains(args[i], StringComparer.OrdinalIgnoreCase))
    {
        shapes = [.. shapes, args[i]];
    }
    else if (args[i] == "--chunks" && i + 1 < args.Length)
    {
        chunks = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--rounds" && i + 1 < args.Length)
    {
        rounds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
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
string text = Path.Combine(AppContext.BaseDirectory, "tinystories_heldout.txt");
Console.WriteLine($"GgufPs benchmarks on {Environment.ProcessorCount} logical processors; NuGet llama.cpp variant {GgufPs.Oracle.LlamaCppOracle.Variant}");

var models = new BenchModels(work, vocab, threads);
string BenchModel() => models.Ensure(BenchModels.Perf, "F16");
IReadOnlyList<string> inferenceTypes = typesGiven ? types : PerplexityBenchmark.DefaultTypes;

var benchmarks = new Dictionary<string, Action>
{
    ["info"] = () => InfoBenchmark.Run(BenchModel()),
    ["quantize"] = () => QuantizeBenchmark.Run(BenchModel(), work, types, threads),
    ["convert"] = () => ConvertBenchmark.Run(work, Path.Combine(AppContext.BaseDirectory, "tokenizer.model")),
    ["perplexity"] = () => PerplexityBenchmark.Run(models, shapes, text, inferenceTypes, threads, chunks, rounds, llamaCpp, childEnvironment),
    ["imatrix"] = () => ImatrixBenchmark.Run(typeof(ImatrixBenchmark).Assembly.Location, BenchModel(), models.Ensure(BenchModels.Perf, "Q8_0"), text, threads, chunks, llamaCpp),
    ["profile"] = () =>
    {
        foreach (string shape in shapes)
        {
            ProfileBenchmark.Run(models, shape, text, inferenceTypes, threads, chunks, childEnvironment);
        }
    },
    ["kernels"] = () => KernelBenchmark.Run(work, threads),
    ["gemv"] = () => GemvBenchmark.Run(models, shapes, typesGiven ? types : GemvBenchmark.DefaultTypes, threads),
    ["generation"] = () => GenerationBenchmark.Run(models, shapes, inferenceTypes, threads, rounds, llamaCpp),
    ["decode"] = () => DecodeProfileBenchmark.Run(models, shapes, inferenceTypes, threads),
};
// The profiles and the gemv timings are diagnoses, not comparisons: they run only when named.
foreach (var (name, run) in benchmarks)
{
    if (selected.Count == 0 ? name is not ("profile" or "gemv" or "decode") : selected.Contains(name))
    {
        Console.WriteLine();
        run();
    }
}
return 0;
