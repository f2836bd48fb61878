namespace GgufPs.Tests;

/// <summary>Finds tests/fixtures from the test assembly's folder, so tests run the same from any working directory.</summary>
internal static class FixturePaths
{
    public static string Root { get; } = FindRoot();

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Stories260K => Get("models", "stories260K", "stories260K.gguf");

    public static string TinyRandomLlama => Get("models", "llama-2-tiny-random-gguf", "llama-2-tiny-random.gguf");

    public static string VocabLlamaSpm => Get("vocab", "ggml-vocab-llama-spm.gguf");

    public static string VocabGpt2 => Get("vocab", "ggml-vocab-gpt-2.gguf");

    /// <summary>Every GGUF file under tests/fixtures.</summary>
    public static IEnumerable<string> AllGguf() =>
        Directory.EnumerateFiles(Root, "*.gguf", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/fixtures was not found above " + AppContext.BaseDirectory);
    }
}
