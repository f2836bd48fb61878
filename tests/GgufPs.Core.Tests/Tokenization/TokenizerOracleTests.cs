using System.Text;
using GgufPs.Oracle;
using GgufPs.Tokenization;

namespace GgufPs.Tests.Tokenization;

/// <summary>Our tokenizer against llama.cpp's llama_tokenize, llama_token_to_piece and llama_detokenize.</summary>
public class TokenizerOracleTests
{
    /// <summary>Strings beyond test-tokenizer-0: scripts, emoji, code, whitespace runs, special-token texts, contractions.</summary>
    public static readonly string[] ExtraStrings =
    [
        "",
        " ",
        "\u00A0non-breaking\u2003em\u3000ideographic space",
        "Tabs\tand\r\nCRLF\r\n\r\nline\u2028separator\u0085next",
        "    def f(x):\n        return x**2  # square\n\n\tif x >= 10 && y != 3: pass",
        "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; } // C++",
        "<s> hello </s> <unk> <|endoftext|> <|user|> <|end|> <fim_prefix>x<fim_suffix>y<fim_middle>",
        "text<s>glued</s>together<|endoftext|>again",
        "I'm, you're, we've, they'll, he'd, it's; 'S 'RE 'Ve 'LL 'D 'M 'T",
        "Ünïcödé çàfé naïve résumé — “quotes” ‘single’ …",
        "日本語のテキストと中文文本，还有한국어 텍스트。",
        "नमस्ते दुनिया; สวัสดีชาวโลก; مرحبا بالعالم; שלום עולם",
        "emoji 👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 keycap 1️⃣ 🦙🦙🦙",
        "combining: e\u0301 a\u0308 n\u0303; zero\u200Bwidth\u200Djoiner\uFEFFbom",
        "1234567890 3.14159 1e-10 0x1F 1,000,000 ١٢٣ ൧൨ Ⅻ ½",
        "math ∑∫∂ √2 ≤ ≥ ≠ ∞ → ⇒ ∀x∃y; currency $ € £ ¥ ₹ ₿",
        "                                  many spaces then text",
        "\n\n\n\n\n\nnewlines\n\n \n \n",
        "!!!???...,,,;;;:::---___===+++***&&&%%%$$$###@@@^^^~~~```|||\\\\\\///",
        "MiXeD CaSe WoRdS AND ALLCAPS and lowercase",
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
        " = Robert Boulter = \n Robert Boulter is an English film , television and theatre actor .",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 𐐷 𠜎 supplementary planes",
        "ǅungla ǈ Ǌ titlecase; ß ẞ ﬁ ﬂ ligatures; ı İ dotless",
    ];

    public static IEnumerable<object[]> Supported => VocabFixtures.Supported;

    [Theory]
    [MemberData(nameof(Supported))]
    public void TokenizationMatchesTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        var failures = new List<string>();
        foreach (string text in ExtraStrings)
        {
            foreach (var (addSpecial, parseSpecial) in new[] { (true, true), (false, false), (true, false), (false, true) })
            {
                int[] expected = model.Tokenize(text, addSpecial, parseSpecial);
                int[] actual = tokenizer.Tokenize(text, addSpecial, parseSpecial);
                if (!actual.SequenceEqual(expected))
                {
                    failures.Add($"[{addSpecial},{parseSpecial}] '{text}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Supported))]
    public void LongTextsMatchTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        foreach (string text in new[] { "wiki_test_head.txt", "tinystories_heldout.txt" })
        {
            byte[] bytes = File.ReadAllBytes(FixturePaths.Get("text", text));
            Assert.Equal(model.TokenizeBytes(bytes, addSpecial: true, parseSpecial: false), tokenizer.Tokenize(bytes, addSpecial: true, parseSpecial: false));
        }
    }

    [Theory]
    [MemberData(nameof(Supported))]
    public void InvalidUtf8MatchesTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        byte[][] inputs =
        [
            [0x61, 0xFF, 0x62, 0xC3],
            [0xE2, 0x82, 0x20, 0x41, 0x80, 0x80],
            [0xF0, 0x9F, 0x98, 0x20, 0xED, 0xA0, 0x80, 0x7A],
            [0x20, 0xC0, 0xAF, 0x0A, 0xF8, 0x88, 0x80, 0x80, 0x80],
        ];
        foreach (byte[] input in inputs)
        {
            Assert.Equal(model.TokenizeBytes(input, true, true), tokenizer.Tokenize(input, true, true));
        }
    }

    [Theory]
    [MemberData(nameof(Supported))]
    public void EveryPieceMatchesTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        Assert.Equal(model.VocabularySize, tokenizer.VocabularySize);
        Assert.Equal(model.AddsBos(), tokenizer.AddsBos);
        for (int id = 0; id < tokenizer.VocabularySize; id++)
        {
            Assert.Equal(model.TokenToPieceBytes(id, special: true), tokenizer.TokenToPiece(id, special: true));
            Assert.Equal(model.TokenToPieceBytes(id, special: false), tokenizer.TokenToPiece(id, special: false));
        }
    }

    [Theory]
    [MemberData(nameof(Supported))]
    public void DetokenizationMatchesTheOracleAndRoundTrips(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        foreach (string text in ExtraStrings)
        {
            int[] tokens = tokenizer.Tokenize(text, addSpecial: true, parseSpecial: true);
            foreach (var (removeSpecial, unparseSpecial) in new[] { (false, true), (true, false), (true, true) })
            {
                Assert.Equal(
                    LlamaCppVocabulary.Show(model.Detokenize(tokens, removeSpecial, unparseSpecial)),
                    Encoding.UTF8.GetString(tokenizer.Detokenize(tokens, removeSpecial, unparseSpecial)));
            }
        }
    }

    [Fact]
    public void SentencePieceDetokenizationRoundTripsText()
    {
        using var file = GgufFile.Open(VocabFixtures.Path("llama-spm"));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        // The space SentencePiece puts in front of the text is dropped again by detokenizing without BOS.
        foreach (string text in ExtraStrings)
        {
            int[] tokens = tokenizer.Tokenize(text, addSpecial: false, parseSpecial: false);
            Assert.Equal(text, tokenizer.DetokenizeToString(tokens, removeSpecial: false, unparseSpecial: false));
        }
    }

    [Fact]
    public void ByteLevelDetokenizationRoundTripsText()
    {
        using var file = GgufFile.Open(VocabFixtures.Path("gpt-2"));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        foreach (string text in ExtraStrings)
        {
            int[] tokens = tokenizer.Tokenize(text, addSpecial: false, parseSpecial: false);
            var bytes = tokens.SelectMany(t => tokenizer.TokenToPiece(t)).ToArray();
            Assert.Equal(text, Encoding.UTF8.GetString(bytes));
        }
    }
}
