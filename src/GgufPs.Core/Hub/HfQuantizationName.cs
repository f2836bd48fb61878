using System.Text.RegularExpressions;

namespace GgufPs.Hub;

/// <summary>
/// The quantization type that a .gguf file name carries by the Hub's naming habit ("llama-2-7b-chat.Q4_K_M.gguf",
/// "Qwen2.5-0.5B-Instruct-q4_k_m.gguf", "model-IQ2_XXS-00001-of-00003.gguf", "ggml-model-f16.gguf"): the last
/// token of the name that has the shape of a llama.cpp type (Q/IQ/TQ types with their suffixes, F16, BF16, F32,
/// MXFP4), upper-cased.
/// </summary>
internal static partial class HfQuantizationName
{
    public static string? Parse(string path)
    {
        string name = path[(path.LastIndexOf('/') + 1)..];
        if (!name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var matches = TypePattern().Matches(name[..^5]);
        return matches.Count == 0 ? null : matches[^1].Groups["type"].Value.ToUpperInvariant();
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?<type>(?:I?Q[1-8]_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)|(?:TQ[12]_0)|BF16|F16|F32|MXFP4(?:_MOE)?)(?![A-Za-z0-9])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TypePattern();
}
