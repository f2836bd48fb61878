namespace GgufPs.Tokenization;

/// <summary>UTF-8 decoding and encoding with llama.cpp's leniency: an invalid byte becomes U+FFFD and decoding goes on.</summary>
internal static class Utf8Codepoints
{
    public const int Replacement = 0xFFFD;

    /// <summary>The length of a UTF-8 sequence from its lead byte, as unicode_len_utf8 (continuation bytes count 1).</summary>
    public static int SequenceLength(byte lead) => (lead >> 4) switch
    {
        12 or 13 => 2,
        14 => 3,
        15 => 4,
        _ => 1,
    };

    public static int[] Decode(ReadOnlySpan<byte> utf8)
    {
        var result = new List<int>(utf8.Length);
        int offset = 0;
        while (offset < utf8.Length)
        {
            result.Add(DecodeOne(utf8, ref offset));
        }
        return result.ToArray();
    }

    /// <summary>One codepoint as unicode_cpt_from_utf8, with its catch: a malformed sequence yields U+FFFD and one byte.</summary>
    public static int DecodeOne(ReadOnlySpan<byte> s, ref int offset)
    {
        byte b0 = s[offset];
        if ((b0 & 0x80) == 0)
        {
            offset += 1;
            return b0;
        }
        if ((b0 & 0x40) == 0)
        {
            offset += 1;
            return Replacement;
        }
        if ((b0 & 0x20) == 0)
        {
            if (offset + 1 >= s.Length || (s[offset + 1] & 0xC0) != 0x80)
            {
                offset += 1;
                return Replacement;
            }
            int r = ((b0 & 0x1F) << 6) | (s[offset + 1] & 0x3F);
            offset += 2;
            return r;
        }
        if ((b0 & 0x10) == 0)
        {
            if (offset + 2 >= s.Length || (s[offset + 1] & 0xC0) != 0x80 || (s[offset + 2] & 0xC0) != 0x80)
            {
                offset += 1;
                return Replacement;
            }
            int r = ((b0 & 0x0F) << 12) | ((s[offset + 1] & 0x3F) << 6) | (s[offset + 2] & 0x3F);
            offset += 3;
            return r;
        }
        if ((b0 & 0x08) == 0)
        {
            if (offset + 3 >= s.Length || (s[offset + 1] & 0xC0) != 0x80 || (s[offset + 2] & 0xC0) != 0x80 || (s[offset + 3] & 0xC0) != 0x80)
            {
                offset += 1;
                return Replacement;
            }
            int r = ((b0 & 0x07) << 18) | ((s[offset + 1] & 0x3F) << 12) | ((s[offset + 2] & 0x3F) << 6) | (s[offset + 3] & 0x3F);
            offset += 4;
            return r;
        }
        offset += 1;
        return Replacement;
    }

    /// <summary>Appends the UTF-8 form of a codepoint; values past U+10FFFF, which llama.cpp cannot encode either, become U+FFFD.</summary>
    public static void Append(List<byte> output, int cpt)
    {
        if (cpt <= 0x7F && cpt >= 0)
        {
            output.Add((byte)cpt);
        }
        else if (cpt <= 0x7FF && cpt >= 0)
        {
            output.Add((byte)(0xC0 | ((cpt >> 6) & 0x1F)));
            output.Add((byte)(0x80 | (cpt & 0x3F)));
        }
        else if (cpt <= 0xFFFF && cpt >= 0)
        {
            output.Add((byte)(0xE0 | ((cpt >> 12) & 0x0F)));
            output.Add((byte)(0x80 | ((cpt >> 6) & 0x3F)));
            output.Add((byte)(0x80 | (cpt & 0x3F)));
        }
        else if (cpt <= 0x10FFFF && cpt >= 0)
        {
            output.Add((byte)(0xF0 | ((cpt >> 18) & 0x07)));
            output.Add((byte)(0x80 | ((cpt >> 12) & 0x3F)));
            output.Add((byte)(0x80 | ((cpt >> 6) & 0x3F)));
            output.Add((byte)(0x80 | (cpt & 0x3F)));
        }
        else
        {
            Append(output, Replacement);
        }
    }
}
