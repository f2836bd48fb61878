namespace GgufPs.Oracle;

/// <summary>llama_token_to_piece with every argument, on a model loaded by the oracle.</summary>
internal static unsafe class LlamaCppPieces
{
    public static byte[] TokenToPiece(this LlamaCppModel model, int token, bool special, int leftStrip)
    {
        var buffer = new byte[64];
        while (true)
        {
            int n;
            fixed (byte* b = buffer)
            {
                n = LlamaNative.llama_token_to_piece(model.Vocab, token, b, buffer.Length, leftStrip, special ? (byte)1 : (byte)0);
            }
            if (n >= 0)
            {
                return buffer[..n];
            }
            buffer = new byte[-n];
        }
    }
}
