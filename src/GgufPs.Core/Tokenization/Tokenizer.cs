using System.Text;

namespace GgufPs.Tokenization;

/// <summary>
/// A model's tokenizer, built from its GGUF metadata, that turns text into token ids and back exactly as
/// llama.cpp's llama_tokenize and llama_token_to_piece do: special tokens cut out of the text first, then
/// SentencePiece, byte-level BPE or WordPiece on the rest, with BOS/EOS (WordPiece: [CLS]/[SEP]) added as the
/// metadata says.
/// </summary>
public sealed class Tokenizer
{
    private readonly Vocabulary _vocab;
    private readonly SpmEncoder? _spm;
    private readonly BpeEncoder? _bpe;
    private readonly WpmEncoder? _wpm;
    private readonly byte[][] _pieces;

    private Tokenizer(Vocabulary vocab)
    {
        _vocab = vocab;
        if (vocab.Model == TokenizerModel.SentencePiece)
        {
            _spm = new SpmEncoder(vocab);
        }
        else if (vocab.Model == TokenizerModel.WordPiece)
        {
            _wpm = new WpmEncoder(vocab);
        }
        else
        {
            _bpe = new BpeEncoder(vocab);
        }
        _pieces = new byte[vocab.Count][];
        for (int id = 0; id < vocab.Count; id++)
        {
            _pieces[id] = BuildPiece(id);
        }
    }

    /// <summary>Builds the tokenizer of a model from its metadata.</summary>
    /// <exception cref="InvalidDataException">The tokenizer metadata is missing or inconsistent.</exception>
    /// <exception cref="NotSupportedException">The tokenizer or pre-tokenizer type is one this library does not implement.</exception>
    public static Tokenizer FromMetadata(GgufMetadataCollection metadata) => new(Vocabulary.Load(metadata));

    public TokenizerModel Model => _vocab.Model;

    /// <summary>tokenizer.ggml.pre, or empty.</summary>
    public string PreTokenizer => _vocab.PreTokenizerName;

    public int VocabularySize => _vocab.Count;

    /// <summary>The beginning-of-sequence token, or -1.</summary>
    public int BosId => _vocab.BosId;

    /// <summary>The end-of-sequence token, or -1.</summary>
    public int EosId => _vocab.EosId;

    /// <summary>Whether tokenizing with special tokens prepends BOS (llama_vocab_get_add_bos).</summary>
    public bool AddsBos => _vocab.AddBos;

    /// <summary>Whether tokenizing with special tokens appends EOS.</summary>
    public bool AddsEos => _vocab.AddEos;

    /// <summary>The separator token (WordPiece's [SEP]), or -1.</summary>
    public int SeparatorId => _vocab.SeparatorId;

    /// <summary>Whether tokenizing with special tokens appends the separator (llama_vocab_get_add_sep).</summary>
    public bool AddsSep => _vocab.AddSep;

    public TokenAttributes GetAttributes(int token) => _vocab.Attributes[CheckToken(token)];

    /// <summary>Whether generation ends at the token (llama_vocab_is_eog: EOS, EOT, EOM and the like, per the vocabulary).</summary>
    public bool IsEndOfGeneration(int token) => _vocab.EndOfGenerationIds.Contains(CheckToken(token));

    /// <summary>The token's text as stored in the vocabulary (SentencePiece's ▁, GPT-2's byte characters).</summary>
    public string GetText(int token) => Encoding.UTF8.GetString(_vocab.Texts[CheckToken(token)]);

    public int[] Tokenize(string text, bool addSpecial = true, bool parseSpecial = true) =>
        Tokenize(Encoding.UTF8.GetBytes(text), addSpecial, parseSpecial);

    /// <summary>
    /// Tokenizes UTF-8 text. <paramref name="addSpecial"/> adds BOS/EOS as the model asks; <paramref name="parseSpecial"/>
    /// turns the text of control tokens into those tokens (user-defined tokens are always recognised).
    /// </summary>
    public int[] Tokenize(ReadOnlySpan<byte> text, bool addSpecial = true, bool parseSpecial = true)
    {
        var fragments = Partition(text, parseSpecial);
        var output = new List<int>(text.Length / 3 + 4);
        if (_wpm is not null)
        {
            return TokenizeWordPiece(text, fragments, addSpecial, output);
        }
        if (addSpecial && _vocab.AddBos)
        {
            output.Add(_vocab.BosId);
        }
        if (_spm is not null)
        {
            bool previousWasSpecial = true;
            var buffer = new List<byte>();
            foreach (var fragment in fragments)
            {
                if (fragment.Token >= 0)
                {
                    output.Add(fragment.Token);
                    previousWasSpecial = true;
                    continue;
                }
                buffer.Clear();
                if (_vocab.AddSpacePrefix && previousWasSpecial)
                {
                    buffer.Add((byte)' ');
                }
                buffer.AddRange(text.Slice(fragment.Start, fragment.Length));
                _spm.Encode(EscapeWhitespace(buffer), output);
                previousWasSpecial = false;
            }
        }
        else
        {
            foreach (var fragment in fragments)
            {
                if (fragment.Token >= 0)
                {
                    output.Add(fragment.Token);
                    continue;
                }
                var raw = text.Slice(fragment.Start, fragment.Length);
                _bpe!.Encode(_vocab.EscapeWhitespaces ? EscapeWhitespace([.. raw]) : raw, output);
            }
        }
        if (addSpecial && _vocab.AddEos)
        {
            output.Add(_vocab.EosId);
        }
        return output.ToArray();
    }

    /// <summary>
    /// WordPiece as llama.cpp's tokenize does it for LLAMA_VOCAB_TYPE_WPM: with special tokens, [CLS] (the BOS id) in
    /// front and [SEP] at the end, whatever add_bos/add_sep say.
    /// </summary>
    private int[] TokenizeWordPiece(ReadOnlySpan<byte> text, List<Fragment> fragments, bool addSpecial, List<int> output)
    {
        if (addSpecial)
        {
            output.Add(_vocab.BosId != Vocabulary.NoToken ? _vocab.BosId
                : throw new InvalidDataException("The WordPiece vocabulary has no [CLS]/BOS token (tokenizer.ggml.bos_token_id) to add."));
        }
        foreach (var fragment in fragments)
        {
            if (fragment.Token >= 0)
            {
                output.Add(fragment.Token);
            }
            else
            {
                _wpm!.Encode(text.Slice(fragment.Start, fragment.Length), output);
            }
        }
        if (addSpecial)
        {
            output.Add(_vocab.SeparatorId != Vocabulary.NoToken ? _vocab.SeparatorId
                : throw new InvalidDataException("The WordPiece vocabulary has no [SEP] token (tokenizer.ggml.seperator_token_id) to add."));
        }
        return output.ToArray();
    }

    /// <summary>
    /// The bytes a token stands for, as llama_token_to_piece: with <paramref name="special"/> false, control and
    /// unknown tokens give nothing; <paramref name="leftStrip"/> drops up to that many leading spaces.
    /// </summary>
    public byte[] TokenToPiece(int token, bool special = true, int leftStrip = 0)
    {
        var attributes = _vocab.Attributes[CheckToken(token)];
        if (!special && (attributes & (TokenAttributes.Unknown | TokenAttributes.Control)) != 0)
        {
            return [];
        }
        byte[] piece = _pieces[token];
        int skip = 0;
        while (skip < leftStrip && skip < piece.Length && piece[skip] == ' ')
        {
            skip++;
        }
        return skip == 0 ? piece : piece[skip..];
    }

    /// <summary>The UTF-8 text of a token; pieces that are not whole characters show as U+FFFD.</summary>
    public string TokenToString(int token, bool special = true) => Encoding.UTF8.GetString(TokenToPiece(token, special));

    /// <summary>Joins the pieces of tokens back into text, as llama_detokenize.</summary>
    public byte[] Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = true)
    {
        bool removeSpace = _vocab.AddSpacePrefix;
        if (removeSpecial && _vocab.AddBos && tokens.Length > 0 && tokens[0] == _vocab.BosId)
        {
            removeSpace = false;
            tokens = tokens[1..];
        }
        if (removeSpecial && _vocab.AddEos && tokens.Length > 0 && tokens[^1] == _vocab.EosId)
        {
            tokens = tokens[..^1];
        }
        var text = new List<byte>();
        foreach (int token in tokens)
        {
            text.AddRange(TokenToPiece(token, unparseSpecial, removeSpace ? 1 : 0));
            removeSpace = false;
        }
        if (!_vocab.CleanSpaces)
        {
            return text.ToArray();
        }
        return CleanUpSpaces(text);
    }

    public string DetokenizeToString(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = true) =>
        Encoding.UTF8.GetString(Detokenize(tokens, removeSpecial, unparseSpecial));

    private int CheckToken(int token)
    {
        if ((uint)token >= (uint)_vocab.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(token), $"Token {token} is outside the vocabulary (0..{_vocab.Count - 1}).");
        }
        return token;
    }

    private static byte[] EscapeWhitespace(IEnumerable<byte> text)
    {
        var result = new List<byte>();
        foreach (byte b in text)
        {
            if (b == (byte)' ')
            {
                result.Add(0xE2);
                result.Add(0x96);
                result.Add(0x81);
            }
            else
            {
                result.Add(b);
            }
        }
        return result.ToArray();
    }

    private readonly record struct Fragment(int Token, int Start, int Length);

    /// <summary>Cuts special tokens out of the text, longest first, as tokenizer_st_partition.</summary>
    private List<Fragment> Partition(ReadOnlySpan<byte> text, bool parseSpecial)
    {
        var fragments = new List<Fragment>();
        if (text.IsEmpty)
        {
            return fragments;
        }
        fragments.Add(new Fragment(-1, 0, text.Length));
        foreach (int special in _vocab.SpecialTokensByLength)
        {
            var attributes = _vocab.Attributes[special];
            if (!parseSpecial && (attributes & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0)
            {
                continue;
            }
            byte[] needle = _vocab.Texts[special];
            if (text.IndexOf(needle) < 0)
            {
                continue;
            }
            var next = new List<Fragment>(fragments.Count + 2);
            foreach (var fragment in fragments)
            {
                if (fragment.Token >= 0)
                {
                    next.Add(fragment);
                    continue;
                }
                int start = fragment.Start;
                int length = fragment.Length;
                while (true)
                {
                    int found = text.Slice(start, length).IndexOf(needle);
                    if (found < 0)
                    {
                        next.Add(new Fragment(-1, start, length));
                        break;
                    }
                    int match = start + found;
                    int leftLength = match - start;
                    if ((attributes & TokenAttributes.LeftStrip) != 0)
                    {
                        while (leftLength > 0 && IsAsciiSpace(text[start + leftLength - 1]))
                        {
                            leftLength--;
                        }
                    }
                    if (leftLength > 0)
                    {
                        next.Add(new Fragment(-1, start, leftLength));
                    }
                    next.Add(new Fragment(special, 0, 0));
                    int rightStart = match + needle.Length;
                    int rightLength = start + length - rightStart;
                    if ((attributes & TokenAttributes.RightStrip) != 0)
                    {
                        while (rightLength > 0 && IsAsciiSpace(text[rightStart]))
                        {
                            rightStart++;
                            rightLength--;
                        }
                    }
                    if (rightLength <= 0)
                    {
                        break;
                    }
                    start = rightStart;
                    length = rightLength;
                }
            }
            fragments = next;
        }
        return fragments;
    }

    private static bool IsAsciiSpace(byte b) => b is (byte)' ' or (>= 0x09 and <= 0x0D);

    private byte[] BuildPiece(int id)
    {
        var attributes = _vocab.Attributes[id];
        byte[] text = _vocab.Texts[id];
        if ((attributes & (TokenAttributes.Unknown | TokenAttributes.Control | TokenAttributes.UserDefined)) != 0)
        {
            return text;
        }
        if ((attributes & TokenAttributes.Normal) != 0)
        {
            if (_vocab.Model is TokenizerModel.SentencePiece or TokenizerModel.WordPiece || _vocab.EscapeWhitespaces)
            {
                return UnescapeWhitespace(text);
            }
            return DecodeByteLevel(text);
        }
        if ((attributes & TokenAttributes.Byte) != 0)
        {
            // <0xXX>: the two hex digits at offset 3.
            if (text.Length >= 5 && byte.TryParse(Encoding.ASCII.GetString(text, 3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                return [b];
            }
            return [0];
        }
        return [];
    }

    private static byte[] UnescapeWhitespace(byte[] text)
    {
        if (text.AsSpan().IndexOf("\u2581"u8) < 0)
        {
            return text;
        }
        var result = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (i + 2 < text.Length && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81)
            {
                result.Add((byte)' ');
                i += 2;
            }
            else
            {
                result.Add(text[i]);
            }
        }
        return result.ToArray();
    }

    /// <summary>GPT-2's characters back to bytes, as llama_decode_text (unknown characters are spelled out).</summary>
    private static byte[] DecodeByteLevel(byte[] text)
    {
        var result = new List<byte>(text.Length);
        foreach (int cpt in Utf8Codepoints.Decode(text))
        {
            if (Gpt2ByteEncoding.TryDecode(cpt, out byte b))
            {
                result.Add(b);
                continue;
            }
            var utf8 = new List<byte>();
            Utf8Codepoints.Append(utf8, cpt);
            result.AddRange("[UNK_BYTE_0x"u8.ToArray());
            foreach (byte u in utf8)
            {
                result.AddRange(Encoding.ASCII.GetBytes(u.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            }
            result.AddRange(text);
            result.Add((byte)']');
        }
        return result.ToArray();
    }

    private static byte[] CleanUpSpaces(List<byte> text)
    {
        var t = text.ToArray();
        int total = t.Length;

        // " ?", " !", " .", " ,": drop the space.
        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++)
        {
            byte x = t[i];
            if (t[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',')
            {
                total--;
            }
            t[total++] = x;
        }

        // " ' ": a lone apostrophe between spaces loses both spaces.
        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++)
        {
            byte x = t[i];
            if (x == '\'' && i + 1 < total2 && t[i - 1] == ' ' && t[i + 1] == ' ')
            {
                total--;
                t[++i] = 0;
            }
            t[total++] = x;
        }

        // " 's", " 'm", " 're", " 've": contractions join the word before.
        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++)
        {
            byte x = t[i];
            if (t[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                byte x1 = t[i + 1];
                if (x1 is (byte)'s' or (byte)'m')
                {
                    total--;
                }
                else if (i + 2 < total3)
                {
                    byte x2 = t[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'))
                    {
                        total--;
                    }
                }
            }
            t[total++] = x;
        }
        return t[..total];
    }
}
