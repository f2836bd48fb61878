using System.Text;

namespace GgufPs.Tokenization;

/// <summary>
/// Turns generated tokens into text one at a time, as llama.cpp prints them piece by piece (llama_token_to_piece,
/// no clean-up of spaces), without ever splitting a UTF-8 character: bytes of an incomplete character (a byte
/// token, or a multi-byte character spread over BPE pieces) are held until it is complete. <see cref="Flush"/> at
/// the end turns bytes that never completed into U+FFFD, as decoding all the bytes at once would.
/// </summary>
internal sealed class TokenTextDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="renderSpecial">Whether control tokens (end of turn, BOS, ...) show as their text, as llama.cpp's --special.</param>
    public TokenTextDecoder(Tokenizer tokenizer, bool renderSpecial = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _renderSpecial = renderSpecial;
    }

    /// <summary>The text the token completes: its piece plus any held bytes, up to the last complete character (possibly empty).</summary>
    public string Append(int token) => Decode(_tokenizer.TokenToPiece(token, _renderSpecial), flush: false);

    /// <summary>The text of bytes still held (incomplete characters, as U+FFFD), and a fresh start.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _decoder.GetCharCount(bytes, flush);
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }
        int written = _decoder.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, written);
    }
}
