namespace GgufPs.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table: printable Latin-1 bytes stand for themselves and the other 68 bytes
/// are moved to U+0100.., so every byte has a visible character that BPE merges can work on.
/// </summary>
internal static class Gpt2ByteEncoding
{
    private static readonly int[] ByteToCodepoint = BuildByteToCodepoint();
    private static readonly Dictionary<int, byte> CodepointToByte = BuildCodepointToByte();

    public static int Encode(byte b) => ByteToCodepoint[b];

    public static bool TryDecode(int codepoint, out byte b) => CodepointToByte.TryGetValue(codepoint, out b);

    private static int[] BuildByteToCodepoint()
    {
        var map = new int[256];
        Array.Fill(map, -1);
        for (int ch = 0x21; ch <= 0x7E; ch++)
        {
            map[ch] = ch;
        }
        for (int ch = 0xA1; ch <= 0xAC; ch++)
        {
            map[ch] = ch;
        }
        for (int ch = 0xAE; ch <= 0xFF; ch++)
        {
            map[ch] = ch;
        }
        int n = 0;
        for (int ch = 0; ch < 256; ch++)
        {
            if (map[ch] < 0)
            {
                map[ch] = 256 + n++;
            }
        }
        return map;
    }

    private static Dictionary<int, byte> BuildCodepointToByte()
    {
        var map = new Dictionary<int, byte>(256);
        for (int b = 0; b < 256; b++)
        {
            map[ByteToCodepoint[b]] = (byte)b;
        }
        return map;
    }
}
