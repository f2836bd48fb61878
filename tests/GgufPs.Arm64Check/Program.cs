using System.Globalization;
using System.IO.Compression;
using GgufPs;
using GgufPs.Conversion;
using GgufPs.Evaluation;
using GgufPs.Inference;
using GgufPs.Quantization;

// Runs the inference of tinystories-3m (tests/fixtures) on this machine and says which kernels ran.
//   prepare <fixtures> <work>: converts the checkpoint, quantizes it to Q4_K_M and Q8_0, measures each and writes
//                              <work>/reference.txt (run on x64).
//   verify <fixtures> <work>:  measures the same files and compares with reference.txt (run on ARM64 under QEMU).
if (args.Length != 3 || args[0] is not ("prepare" or "verify"))
{
    Console.Error.WriteLine("usage: GgufPs.Arm64Check prepare|verify <fixtures directory> <work directory>");
    return 2;
}
string fixtures = args[1];
string work = args[2];
string[] types = ["Q4_K_M", "Q8_0"];
const int Context = 256, Chunks = 16;
// Float rounding of libm's expf, sinf and cosf may differ between the two C libraries; the kernels themselves give
// the same bits on every instruction set.
const double Tolerance = 1e-4;
string reference = Path.Combine(work, "reference.txt");
byte[] text = File.ReadAllBytes(Path.Combine(fixtures, "text", "tinystories-3m-heldout.txt"));

Console.WriteLine($"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}: {KernelSupport.Describe()}");
if (args[0] == "prepare")
{
    Directory.CreateDirectory(work);
    string f16 = Path.Combine(work, "tinystories-3m-F16.gguf");
    if (!File.Exists(f16))
    {
        string folder = Unpack(Path.Combine(fixtures, "models", "tinystories-3m-hf"), Path.Combine(work, "tinystories-3m-hf"));
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F16, OutputPath = f16 });
        GgufModelWriter.Write(plan, overwrite: true);
    }
    var lines = new List<string>();
    foreach (string type in types)
    {
        string path = ModelPath(type);
        if (!File.Exists(path))
        {
            using var source = GgufFile.Open(f16);
            var plan = QuantizationPlanner.Create(source, new QuantizationOptions { Preset = QuantizationPreset.Parse(type) });
            ModelQuantizer.Run(plan, path, threads: 2);
        }
        double perplexity = Measure(path);
        Console.WriteLine(FormattableString.Invariant($"{type}: {perplexity:F6}"));
        lines.Add(FormattableString.Invariant($"{type} {perplexity:R}"));
    }
    File.WriteAllLines(reference, lines);
    return 0;
}

int failures = 0;
foreach (string line in File.ReadAllLines(reference))
{
    string[] parts = line.Split(' ');
    double expected = double.Parse(parts[1], CultureInfo.InvariantCulture);
    double actual = Measure(ModelPath(parts[0]));
    double delta = Math.Log(actual) - Math.Log(expected);
    bool ok = Math.Abs(delta) <= Tolerance;
    failures += ok ? 0 : 1;
    Console.WriteLine(FormattableString.Invariant($"{parts[0]}: {actual:F6} here, {expected:F6} on x64, Δ ln PPL {delta:G3} {(ok ? "ok" : $"more than {Tolerance}")}"));
}
return failures == 0 ? 0 : 1;

string ModelPath(string type) => Path.Combine(work, $"tinystories-3m-{type}.gguf");

double Measure(string path)
{
    using var model = TransformerModel.Open(path);
    var options = new PerplexityOptions { Context = Context, Chunks = Chunks, Threads = 2 };
    return new PerplexityEvaluator(model, options).Measure(text).Perplexity;
}

static string Unpack(string source, string target)
{
    Directory.CreateDirectory(target);
    foreach (string file in Directory.EnumerateFiles(source))
    {
        if (file.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var input = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var output = File.Create(Path.Combine(target, Path.GetFileNameWithoutExtension(file)));
            input.CopyTo(output);
        }
        else
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }
    return target;
}
