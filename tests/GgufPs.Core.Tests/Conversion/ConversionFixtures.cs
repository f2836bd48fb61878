using System.IO.Compression;

namespace GgufPs.Tests.Conversion;

/// <summary>Lays out the bundled Hugging Face fixtures as model folders in a scratch directory, unpacking .gz files.</summary>
internal static class ConversionFixtures
{
    public static string TinyRandomLlama(TempDirectory temp) => Copy("tiny-random-llama-2-hf", temp);

    public static string TinyGpt2(TempDirectory temp) => Copy("tiny-gpt2-hf", temp);

    public static string TinyStories3m(TempDirectory temp) => Copy("tinystories-3m-hf", temp);

    public static string Stories260KBin => FixturePaths.Get("models", "stories260K", "stories260K.bin");

    public static string Tok512Bin => FixturePaths.Get("models", "stories260K", "tok512.bin");

    private static string Copy(string name, TempDirectory temp)
    {
        string target = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(FixturePaths.Get("models", name)))
        {
            if (file.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var input = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
                using var output = File.Create(Path.Combine(target, Path.GetFileNameWithoutExtension(file)));
                input.CopyTo(output);
            }
            else
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }
        return target;
    }
}
