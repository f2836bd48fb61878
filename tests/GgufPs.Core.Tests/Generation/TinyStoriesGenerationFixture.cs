using GgufPs.Oracle;
using GgufPs.Quantization;
using GgufPs.Tests.RealModel;

namespace GgufPs.Tests.Generation;

/// <summary>
/// tinystories-3m for the generation tests: the F16 file Convert-Model's core writes, and quantizations of it made
/// by llama.cpp's own llama_model_quantize through the oracle, each made once per test run.
/// </summary>
public sealed class TinyStoriesGenerationFixture : IDisposable
{
    private readonly TinyStories3mFixture _models = new();
    private readonly TempDirectory _directory = new();
    private readonly Dictionary<string, string> _paths = new();
    private readonly Lock _gate = new();

    /// <summary>The F16 model, or llama.cpp's quantization of it to <paramref name="type"/>.</summary>
    public string Path(string type)
    {
        if (type == "F16")
        {
            return _models.Path("F16");
        }
        lock (_gate)
        {
            if (!_paths.TryGetValue(type, out var path))
            {
                path = _directory.File($"tinystories-3m-{type}.llama.gguf");
                var parameters = LlamaCppOracle.DefaultQuantizeParams();
                parameters.FType = (int)QuantizationPreset.Parse(type).FileType;
                parameters.NThread = 2;
                Assert.Equal(0u, LlamaCppOracle.QuantizeModel(_models.Path("F16"), path, parameters));
                _paths[type] = path;
            }
            return path;
        }
    }

    public void Dispose()
    {
        _directory.Dispose();
        _models.Dispose();
    }
}
