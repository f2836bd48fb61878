namespace GgufPs.Conversion;

/// <summary>The Hugging Face model classes Convert-Model knows.</summary>
internal static class HfArchitectures
{
    private static readonly HfArchitecture[] All = [new LlamaArchitecture(), new Qwen2Architecture(), new Gpt2Architecture(), GemmaArchitecture.Gemma, GemmaArchitecture.Gemma2, new Phi3Architecture()];

    public static IEnumerable<string> SupportedNames => All.SelectMany(a => a.HfNames).Order(StringComparer.Ordinal);

    public static HfArchitecture Find(string hfName) =>
        All.FirstOrDefault(a => a.HfNames.Contains(hfName, StringComparer.Ordinal))
        ?? throw new NotSupportedException($"The architecture '{hfName}' is not supported. Supported architectures: {string.Join(", ", SupportedNames)}.");
}
