using System.Collections;

namespace GgufPs.Tests.Generation;

/// <summary>
/// stories260K for the generator's behaviour. The llama2.c model separates stories with BOS, which is no end of
/// generation; a copy whose EOS id names BOS ends each story with an end-of-generation token instead.
/// </summary>
internal static class Stories260KGeneration
{
    private static readonly Lazy<string> EndingCopy = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"ggufps-stories260K-eos-{Environment.ProcessId}.gguf");
        File.Copy(FixturePaths.Stories260K, path, overwrite: true);
        GgufMetadataEditor editor;
        using (var file = GgufFile.Open(path))
        {
            editor = new GgufMetadataEditor(file.Metadata, new Hashtable { ["tokenizer.ggml.eos_token_id"] = 1 }, null);
        }
        editor.PatchInPlace(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    });

    /// <summary>stories260K with BOS (1) as its EOS, so that stories end with an end-of-generation token.</summary>
    public static string WithStoryEnd => EndingCopy.Value;
}
