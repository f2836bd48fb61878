namespace GgufPs.Tokenization;

/// <summary>
/// WordPiece as llama.cpp's llm_tokenizer_wpm (BERT's tokenizer, tokenizer.ggml.model "bert"). The text is split into
/// words the way BertNormalizer and BertPreTokenizer do: optional per-codepoint NFD and accent stripping, optional
/// lowercasing, control characters dropped, whitespace separating words, and every punctuation mark, ASCII symbol and
/// CJK ideograph a word of its own. Each word, prefixed with "▁" (how the GGUF vocabulary marks word starts), is then
/// covered greedily by the longest vocabulary tokens from the left; a word that cannot be covered becomes one unknown
/// token as a whole.
/// </summary>
internal sealed class WpmEncoder(Vocabulary vocab)
{
    private static ReadOnlySpan<byte> WordStart => "\u2581"u8;

    public void Encode(ReadOnlySpan<byte> text, List<int> output)
    {
        int[] codepoints = Utf8Codepoints.Decode(text);
        var word = new List<byte>(64);
        word.AddRange(WordStart);
        foreach (int original in codepoints)
        {
            int cpt = vocab.StripAccents ? CodepointNormalization.DecompositionStart(original) : original;
            var flags = CodepointFlags.Of(cpt);
            if (flags.IsWhitespace)
            {
                FinishWord(word, output);
                continue;
            }
            // llama.cpp cannot encode codepoints past U+10FFFF either; they are dropped like invalid bytes (U+FFFD).
            if (cpt == 0 || cpt == Utf8Codepoints.Replacement || cpt > 0x10FFFF || flags.IsControl)
            {
                continue;
            }
            if (vocab.StripAccents && flags.IsAccentMark)
            {
                continue;
            }
            int mapped = vocab.Lowercase ? CodepointNormalization.ToLower(cpt) : cpt;
            if (flags.IsPunctuation || (cpt < 0x7F && flags.IsSymbol) || IsCjkIdeograph(cpt))
            {
                FinishWord(word, output);
                Utf8Codepoints.Append(word, mapped);
                FinishWord(word, output);
            }
            else
            {
                Utf8Codepoints.Append(word, mapped);
            }
        }
        FinishWord(word, output);
    }

    /// <summary>Tokenizes the word collected so far (if any) and starts the next one.</summary>
    private void FinishWord(List<byte> word, List<int> output)
    {
        if (word.Count > WordStart.Length)
        {
            MatchWord(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(word), output);
            word.RemoveRange(WordStart.Length, word.Count - WordStart.Length);
        }
    }

    /// <summary>Longest-prefix matching from the left, byte by byte as llama.cpp does; the unknown token if any part fails.</summary>
    private void MatchWord(ReadOnlySpan<byte> word, List<int> output)
    {
        int before = output.Count;
        int n = word.Length;
        for (int i = 0; i < n;)
        {
            int found = Vocabulary.NoToken;
            int end = Math.Min(n, i + vocab.MaxTokenLength + 1);
            for (; end > i; end--)
            {
                found = vocab.Find(word[i..end]);
                if (found != Vocabulary.NoToken)
                {
                    break;
                }
            }
            if (found == Vocabulary.NoToken)
            {
                output.RemoveRange(before, output.Count - before);
                break;
            }
            output.Add(found);
            i = end;
        }
        // llama.cpp would emit an invalid id when the vocabulary has no unknown token; we emit nothing then.
        if (output.Count == before && vocab.UnknownId != Vocabulary.NoToken)
        {
            output.Add(vocab.UnknownId);
        }
    }

    /// <summary>The CJK ideograph blocks BERT splits into single-character words (with HF's 0x2B920 typo kept).</summary>
    private static bool IsCjkIdeograph(int cpt) =>
        cpt is (>= 0x4E00 and <= 0x9FFF)
            or (>= 0x3400 and <= 0x4DBF)
            or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F)
            or (>= 0x2B920 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF)
            or (>= 0x2F800 and <= 0x2FA1F);
}
