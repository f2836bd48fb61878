using GgufPs.Conversion;
using GgufPs.Quantization;
using GgufPs.Tests.Conversion;

namespace GgufPs.Tests.RealModel;

/// <summary>
/// The bundled tinystories-3m checkpoint converted once per test run by Convert-Model's core to F32 and F16, and the
/// F16 file quantized on demand by Invoke-Quantize's core, as llama.cpp's files of llama-cpp-reference.json were made.
/// </summary>
public sealed class TinyStories3mFixture : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Dictionary<string, string> _paths = new();
    private readonly object _gate = new();

    public TinyStories3mFixture()
    {
        Folder = ConversionFixtures.TinyStories3m(_directory);
    }

    /// <summary>The Hugging Face folder, unpacked.</summary>
    public string Folder { get; }

    public static byte[] HeldOutText => File.ReadAllBytes(FixturePaths.Get("text", "tinystories-3m-heldout.txt"));

    /// <summary>The model as F32, F16 or a quantization preset of the F16 file.</summary>
    public string Path(string type)
    {
        lock (_gate)
        {
            if (_paths.TryGetValue(type, out var existing))
            {
                return existing;
            }
            string path = _directory.File($"tinystories-3m-{type}.gguf");
            if (type is "F32" or "F16")
            {
                var outputType = Enum.Parse<ConversionOutputType>(type);
                using var plan = ModelConverter.Plan(Folder, new ConversionOptions { OutputType = outputType, OutputPath = path });
                GgufModelWriter.Write(plan, overwrite: false);
            }
            else
            {
                using var source = GgufFile.Open(Path("F16"));
                var plan = QuantizationPlanner.Create(source, new QuantizationOptions { Preset = QuantizationPreset.Parse(type) });
                ModelQuantizer.Run(plan, path, threads: 2);
            }
            _paths[type] = path;
            return path;
        }
    }

    public void Dispose() => _directory.Dispose();
}
