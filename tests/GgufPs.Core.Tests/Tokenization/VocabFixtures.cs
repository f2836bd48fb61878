using System.IO.Compression;

namespace GgufPs.Tests.Tokenization;

/// <summary>
/// The llama.cpp vocab-only GGUFs under tests/fixtures/vocab. Most are stored gzip-compressed to keep the repository
/// small; they are expanded once per test run into a temporary folder.
/// </summary>
internal static class VocabFixtures
{
    private static readonly Lazy<string> Expanded = new(ExpandAll);

    /// <summary>All twelve vocabularies, by the name in ggml-vocab-NAME.gguf.</summary>
    public static readonly string[] Names =
    [
        "baichuan", "bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "gpt-neox", "llama-spm", "mpt",
        "phi-3", "refact", "starcoder",
    ];

    /// <summary>The vocabularies this library tokenizes: all of them (SPM, BPE and bert-bge's WordPiece).</summary>
    public static IEnumerable<object[]> Supported => Names.Select(n => new object[] { n });

    /// <summary>Supported vocabularies that come with llama.cpp's test-tokenizer-0 vectors.</summary>
    public static IEnumerable<object[]> WithVectors =>
        Supported.Where(n => File.Exists(FixturePaths.Get("vocab", $"ggml-vocab-{n[0]}.gguf.inp")));

    public static string Path(string name)
    {
        string plain = FixturePaths.Get("vocab", $"ggml-vocab-{name}.gguf");
        return File.Exists(plain) ? plain : System.IO.Path.Combine(Expanded.Value, $"ggml-vocab-{name}.gguf");
    }

    /// <summary>test-tokenizer-0's cases: inputs split by "\n__ggml_vocab_test__\n", one line of ids per input.</summary>
    public static List<(byte[] Input, int[] Expected)> Vectors(string name)
    {
        byte[] raw = File.ReadAllBytes(FixturePaths.Get("vocab", $"ggml-vocab-{name}.gguf.inp"));
        string[] expected = File.ReadAllLines(FixturePaths.Get("vocab", $"ggml-vocab-{name}.gguf.out"));
        byte[] separator = "\n__ggml_vocab_test__\n"u8.ToArray();
        var inputs = new List<byte[]>();
        int pos = 0;
        while (pos < raw.Length)
        {
            int next = raw.AsSpan(pos).IndexOf(separator);
            if (next < 0)
            {
                inputs.Add(raw[pos..]);
                break;
            }
            inputs.Add(raw[pos..(pos + next)]);
            pos += next + separator.Length;
        }
        Assert.Equal(inputs.Count, expected.Length);
        return inputs.Select((input, i) => (input, expected[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())).ToList();
    }

    private static string ExpandAll()
    {
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ggufps-vocab-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        foreach (string gz in Directory.EnumerateFiles(FixturePaths.Get("vocab"), "*.gguf.gz"))
        {
            string target = System.IO.Path.Combine(dir, System.IO.Path.GetFileNameWithoutExtension(gz));
            using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
            using var output = File.Create(target);
            input.CopyTo(output);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return dir;
    }
}
