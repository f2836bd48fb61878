using System.Text;
using GgufPs.Oracle;
using GgufPs.Tokenization;

namespace GgufPs.Tests.Tokenization;

/// <summary>
/// Detokenization against llama.cpp's llama_token_to_piece (every id, every flag, leading-space strip) and
/// llama_detokenize (random id sequences with BOS/EOS and special tokens, every flag pair), on every fixture
/// vocabulary, and the piece-by-piece decoder that generation prints with.
/// </summary>
public class DetokenizationOracleTests
{
    public static IEnumerable<object[]> Vocabularies => VocabFixtures.Supported;

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void EveryPieceWithLeftStripMatchesTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        for (int id = 0; id < tokenizer.VocabularySize; id++)
        {
            int strip = 1 + id % 2;
            foreach (bool special in new[] { true, false })
            {
                byte[] expected = model.TokenToPiece(id, special, strip);
                byte[] actual = tokenizer.TokenToPiece(id, special, strip);
                if (!expected.AsSpan().SequenceEqual(actual))
                {
                    Assert.Fail($"{name} token {id} (special {special}, lstrip {strip}): llama.cpp '{Encoding.UTF8.GetString(expected)}', ours '{Encoding.UTF8.GetString(actual)}'");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void RandomSequencesDetokenizeAsTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        var random = new Random(name.Length * 31 + tokenizer.VocabularySize);
        int[] special = Enumerable.Range(0, tokenizer.VocabularySize)
            .Where(id => (tokenizer.GetAttributes(id) & (TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown)) != 0)
            .ToArray();
        var failures = new List<string>();
        for (int sequence = 0; sequence < 300; sequence++)
        {
            var ids = new List<int>();
            int length = random.Next(0, 40);
            for (int i = 0; i < length; i++)
            {
                // Mostly ordinary ids; some special ones, and runs of low ids (byte tokens, punctuation, spaces).
                int kind = random.Next(10);
                ids.Add(kind == 0 && special.Length > 0 ? special[random.Next(special.Length)]
                    : kind == 1 ? random.Next(Math.Min(300, tokenizer.VocabularySize))
                    : random.Next(tokenizer.VocabularySize));
            }
            if (sequence % 3 == 0 && tokenizer.BosId >= 0)
            {
                ids.Insert(0, tokenizer.BosId);
            }
            if (sequence % 4 == 0 && tokenizer.EosId >= 0)
            {
                ids.Add(tokenizer.EosId);
            }
            int[] tokens = ids.ToArray();
            foreach (var (removeSpecial, unparseSpecial) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                byte[] expected = model.Detokenize(tokens, removeSpecial, unparseSpecial);
                byte[] actual = tokenizer.Detokenize(tokens, removeSpecial, unparseSpecial);
                if (!expected.AsSpan().SequenceEqual(actual))
                {
                    failures.Add($"[{string.Join(' ', tokens)}] remove {removeSpecial} unparse {unparseSpecial}: llama.cpp '{Encoding.UTF8.GetString(expected)}', ours '{Encoding.UTF8.GetString(actual)}'");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void TokenizedTextDetokenizesAsTheOracle(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        string story = File.ReadAllText(FixturePaths.Get("text", "tinystories_heldout.txt"))[..3000];
        foreach (string text in TokenizerOracleTests.ExtraStrings.Append(story))
        {
            foreach (bool addSpecial in new[] { true, false })
            {
                int[] tokens = tokenizer.Tokenize(text, addSpecial, parseSpecial: true);
                foreach (var (removeSpecial, unparseSpecial) in new[] { (false, false), (false, true), (true, false), (true, true) })
                {
                    Assert.Equal(
                        Encoding.UTF8.GetString(model.Detokenize(tokens, removeSpecial, unparseSpecial)),
                        Encoding.UTF8.GetString(tokenizer.Detokenize(tokens, removeSpecial, unparseSpecial)));
                }
            }
        }
    }

    /// <summary>Piece by piece, the decoder's text equals the UTF-8 decoding of all the pieces' bytes together, and no piece ends inside a character.</summary>
    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void StreamedPiecesNeverSplitACharacterAndAddUpToTheWholeText(string name)
    {
        using var file = GgufFile.Open(VocabFixtures.Path(name));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        var random = new Random(17);
        foreach (string text in TokenizerOracleTests.ExtraStrings)
        {
            int[] tokens = tokenizer.Tokenize(text, addSpecial: false, parseSpecial: false);
            AssertStreamsAsWhole(tokenizer, tokens);
        }
        for (int sequence = 0; sequence < 200; sequence++)
        {
            // Random ids split characters (byte tokens, partial GPT-2 bytes) and leave some incomplete at the end.
            AssertStreamsAsWhole(tokenizer, Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(tokenizer.VocabularySize)).ToArray());
        }
    }

    [Fact]
    public void ByteTokensOfOneCharacterWaitForTheLastByte()
    {
        using var file = GgufFile.Open(FixturePaths.VocabLlamaSpm);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        var decoder = new TokenTextDecoder(tokenizer);
        // "🦙" is F0 9F A6 99: llama-spm spells it with four byte tokens.
        int[] bytes = "🦙"u8.ToArray().Select(b => ByteToken(tokenizer, b)).ToArray();
        Assert.Equal("", decoder.Append(bytes[0]));
        Assert.Equal("", decoder.Append(bytes[1]));
        Assert.Equal("", decoder.Append(bytes[2]));
        Assert.Equal("🦙", decoder.Append(bytes[3]));
        Assert.Equal("", decoder.Append(bytes[0]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void ControlTokensAreSilentUnlessAskedFor()
    {
        using var file = GgufFile.Open(FixturePaths.VocabLlamaSpm);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        Assert.Equal("", new TokenTextDecoder(tokenizer).Append(tokenizer.EosId));
        Assert.Equal("</s>", new TokenTextDecoder(tokenizer, renderSpecial: true).Append(tokenizer.EosId));
    }

    private static int ByteToken(Tokenizer tokenizer, byte b)
    {
        for (int id = 0; id < tokenizer.VocabularySize; id++)
        {
            if ((tokenizer.GetAttributes(id) & TokenAttributes.Byte) != 0 && tokenizer.GetText(id) == $"<0x{b:X2}>")
            {
                return id;
            }
        }
        throw new InvalidOperationException($"No byte token for 0x{b:X2}.");
    }

    private static void AssertStreamsAsWhole(Tokenizer tokenizer, int[] tokens)
    {
        var decoder = new TokenTextDecoder(tokenizer);
        var streamed = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int token in tokens)
        {
            string piece = decoder.Append(token);
            Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "A piece ended inside a surrogate pair.");
            streamed.Append(piece);
            bytes.AddRange(tokenizer.TokenToPiece(token, special: false));
        }
        streamed.Append(decoder.Flush());
        Assert.Equal(Encoding.UTF8.GetString(bytes.ToArray()), streamed.ToString());
    }
}
