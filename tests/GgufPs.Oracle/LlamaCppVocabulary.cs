using System.Text;

namespace GgufPs.Oracle;

/// <summary>Vocabulary calls on a model loaded by the oracle that the foundation's LlamaCppModel does not offer.</summary>
internal static unsafe class LlamaCppVocabulary
{
    public static byte[] Detokenize(this LlamaCppModel model, int[] tokens, bool removeSpecial = false, bool unparseSpecial = true)
    {
        int capacity = tokens.Length * 16 + 16;
        while (true)
        {
            var buffer = new byte[capacity];
            int n;
            fixed (int* t = tokens)
            fixed (byte* b = buffer)
            {
                n = LlamaNative.llama_detokenize(model.Vocab, t, tokens.Length, b, capacity, removeSpecial ? (byte)1 : (byte)0, unparseSpecial ? (byte)1 : (byte)0);
            }
            if (n >= 0)
            {
                return buffer[..n];
            }
            capacity = -n;
        }
    }

    public static byte[] TokenToPieceBytes(this LlamaCppModel model, int token, bool special = true)
    {
        var buffer = new byte[1024];
        fixed (byte* b = buffer)
        {
            int n = LlamaNative.llama_token_to_piece(model.Vocab, token, b, buffer.Length, 0, special ? (byte)1 : (byte)0);
            return n < 0 ? throw new InvalidOperationException($"Piece of token {token} is longer than {buffer.Length} bytes.") : buffer[..n];
        }
    }

    public static bool AddsBos(this LlamaCppModel model) => LlamaNative.llama_vocab_get_add_bos(model.Vocab) != 0;

    public static int[] TokenizeBytes(this LlamaCppModel model, byte[] bytes, bool addSpecial, bool parseSpecial)
    {
        int capacity = bytes.Length + 16;
        while (true)
        {
            var tokens = new int[capacity];
            int n;
            fixed (byte* t = bytes)
            fixed (int* o = tokens)
            {
                n = LlamaNative.llama_tokenize(model.Vocab, t, bytes.Length, o, capacity, addSpecial ? (byte)1 : (byte)0, parseSpecial ? (byte)1 : (byte)0);
            }
            if (n >= 0)
            {
                return tokens[..n];
            }
            capacity = -n;
        }
    }

    public static string Show(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
