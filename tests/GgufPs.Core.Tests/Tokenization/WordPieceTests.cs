using GgufPs.Oracle;
using GgufPs.Tokenization;

namespace GgufPs.Tests.Tokenization;

/// <summary>
/// WordPiece (bert) beyond the bert-bge fixture: llama.cpp's Unicode mappings codepoint by codepoint, and vocabularies
/// with other normalizer options and special ids, each compared with the oracle's llama_tokenize.
/// </summary>
public class WordPieceTests
{
    private const int WhitespaceBit = 0x0100;
    private const int CategoryBits = 0x00FF;

    [Fact]
    public void CodepointMappingsMatchLlamaCppsTables()
    {
        LlamaNative.EnsureLoaded();
        var failures = new List<string>();
        for (int cpt = 0; cpt <= 0x10FFFF && failures.Count < 20; cpt++)
        {
            int lower = (int)LlamaNative.unicode_tolower((uint)cpt);
            if (CodepointNormalization.ToLower(cpt) != lower)
            {
                failures.Add($"lower U+{cpt:X4}: llama.cpp U+{lower:X4}, ours U+{CodepointNormalization.ToLower(cpt):X4}");
            }
            int nfd = (int)LlamaNative.UnicodeNfd((uint)cpt);
            if (CodepointNormalization.DecompositionStart(cpt) != nfd)
            {
                failures.Add($"nfd U+{cpt:X4}: llama.cpp U+{nfd:X4}, ours U+{CodepointNormalization.DecompositionStart(cpt):X4}");
            }
            int flags = LlamaNative.unicode_cpt_flags_from_cpt((uint)cpt) & (CategoryBits | WhitespaceBit);
            if (CodepointFlags.Of(cpt).Bits != flags)
            {
                failures.Add($"flags U+{cpt:X4}: llama.cpp 0x{flags:X3}, ours 0x{CodepointFlags.Of(cpt).Bits:X3}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public static IEnumerable<object[]> NormalizerVariants =>
    [
        [null!, null!],
        [false, null!],
        [true, false],
        [false, true],
    ];

    [Theory]
    [MemberData(nameof(NormalizerVariants))]
    public void NormalizerOptionsMatchTheOracle(bool? lowercase, bool? stripAccents)
    {
        using var dir = new TempDirectory();
        var extra = new List<GgufMetadataEntry>();
        if (lowercase is { } l)
        {
            extra.Add(GgufMetadataEntry.Create("tokenizer.ggml.normalizer.lowercase", l));
        }
        if (stripAccents is { } s)
        {
            extra.Add(GgufMetadataEntry.Create("tokenizer.ggml.normalizer.strip_accents", s));
        }
        string path = WriteBertVocabulary(dir.File("bert.gguf"), extra);
        AssertMatchesOracle(path, TokenizerOracleTests.ExtraStrings.Concat(WordPieceStrings));
    }

    [Fact]
    public void SpecialIdsFromMetadataMatchTheOracle()
    {
        using var dir = new TempDirectory();
        string path = WriteBertVocabulary(dir.File("bert-ids.gguf"),
        [
            GgufMetadataEntry.Create("tokenizer.ggml.bos_token_id", 103u),
            GgufMetadataEntry.Create("tokenizer.ggml.seperator_token_id", 0u),
            GgufMetadataEntry.Create("tokenizer.ggml.unknown_token_id", 1u),
            GgufMetadataEntry.Create("tokenizer.ggml.add_bos_token", false),
            GgufMetadataEntry.Create("tokenizer.ggml.add_sep_token", false),
        ]);
        AssertMatchesOracle(path, WordPieceStrings);
    }

    private static readonly string[] WordPieceStrings =
    [
        "[CLS] the [MASK] sat on the mat [SEP] [PAD][UNK]glued[MASK]text",
        "ÀÉÎÕÜ ÇA VA? Ελληνικά ΣΊΣΥΦΟΣ Кириллица ÅNGSTRÖM İstanbul",
        "unaffable unbelievably antidisestablishmentarianism xyzzyplugh",
        "e\u0301cole na\u0308ive \u1E9B\u0323 \u212B \u2126 \uFB01 \u00BD",
        "한국어 텍스트 ᄀᄁ 가나다",
        "tab\tnull\u0000ctrl\u0007bidi\u200Ethin\u2009end",
    ];

    private static void AssertMatchesOracle(string path, IEnumerable<string> texts)
    {
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        Assert.NotNull(model);
        var failures = new List<string>();
        foreach (string text in texts)
        {
            foreach (var (addSpecial, parseSpecial) in new[] { (true, true), (false, false) })
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

    /// <summary>bert-bge's vocabulary with some tokenizer keys replaced or added.</summary>
    private static string WriteBertVocabulary(string path, IReadOnlyList<GgufMetadataEntry> overrides)
    {
        using var source = GgufFile.Open(VocabFixtures.Path("bert-bge"));
        var keys = overrides.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var metadata = source.Metadata.Where(e => !keys.Contains(e.Key))
            .Select(e => GgufMetadataEntry.Create(e.Key, e.ValueType, e.Value))
            .Concat(overrides)
            .ToList();
        using var writer = new GgufWriter(path, overwrite: true);
        writer.WriteHeader(metadata, []);
        writer.Commit();
        return path;
    }
}
