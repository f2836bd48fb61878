using GgufPs.Inference;
using GgufPs.Oracle;

namespace GgufPs.Tests.Inference;

/// <summary>
/// The synthetic models of the parity tests, written once per test run: a llama with grouped-query attention in
/// F32, F16, BF16 and quantized by llama.cpp to Q8_0, Q4_0, Q4_1, Q4_K_M, Q5_K_M, Q3_K_M, Q6_K, Q2_K and IQ4_XS; a
/// qwen2 with biases, NeoX RoPE
/// and a tied output; and a gpt2 with learned positions and LayerNorm.
/// </summary>
public sealed class SyntheticModelFixture : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Dictionary<string, string> _paths = new();
    private readonly object _gate = new();

    public static readonly string[] Names =
    [
        "llama-F32", "llama-F16", "llama-BF16", "llama-Q8_0", "llama-Q4_0", "llama-Q4_K_M", "llama-Q6_K", "llama-Q2_K",
        "llama-Q4_1", "llama-Q5_K_M", "llama-Q3_K_M", "llama-IQ4_XS",
        "qwen2-F32", "qwen2-F16", "gpt2-F32", "gpt2-F16",
    ];

    private static SyntheticModel Llama(GgmlType type) => new(ModelArchitecture.Llama, 256, 768, 2, 8, 2, type);

    private static SyntheticModel Qwen2(GgmlType type) => new(ModelArchitecture.Qwen2, 128, 384, 2, 4, 2, type, TiedOutput: true);

    private static SyntheticModel Gpt2(GgmlType type) => new(ModelArchitecture.Gpt2, 128, 512, 2, 4, 4, type);

    public string Path(string name)
    {
        lock (_gate)
        {
            if (_paths.TryGetValue(name, out var existing))
            {
                return existing;
            }
            string path = _directory.File(name + ".gguf");
            switch (name)
            {
                case "llama-F32": Llama(GgmlType.F32).Write(path); break;
                case "llama-F16": Llama(GgmlType.F16).Write(path); break;
                case "llama-BF16": Llama(GgmlType.BF16).Write(path); break;
                case "qwen2-F32": Qwen2(GgmlType.F32).Write(path); break;
                case "qwen2-F16": Qwen2(GgmlType.F16).Write(path); break;
                case "gpt2-F32": Gpt2(GgmlType.F32).Write(path); break;
                case "gpt2-F16": Gpt2(GgmlType.F16).Write(path); break;
                default:
                    var fileType = Enum.Parse<LlamaFileType>("MOSTLY_" + name["llama-".Length..]);
                    var parameters = LlamaCppOracle.DefaultQuantizeParams();
                    parameters.FType = (int)fileType;
                    parameters.NThread = 2;
                    uint status = LlamaCppOracle.QuantizeModel(Path("llama-F32"), path, parameters);
                    if (status != 0)
                    {
                        throw new InvalidOperationException($"llama_model_quantize to {fileType} failed with {status}.");
                    }
                    break;
            }
            _paths[name] = path;
            return path;
        }
    }

    public void Dispose() => _directory.Dispose();
}
