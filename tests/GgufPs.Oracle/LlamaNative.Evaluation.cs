namespace GgufPs.Oracle;

/// <summary>The llama.cpp entry points the tokenizer and perplexity tests need beyond the foundation's.</summary>
internal static unsafe partial class LlamaNative
{
    [System.Runtime.InteropServices.DllImport(Llama)]
    public static extern int llama_detokenize(IntPtr vocab, int* tokens, int nTokens, byte* text, int textLengthMax, byte removeSpecial, byte unparseSpecial);

    [System.Runtime.InteropServices.DllImport(Llama)]
    public static extern byte llama_vocab_get_add_bos(IntPtr vocab);

    [System.Runtime.InteropServices.DllImport(Llama)]
    public static extern byte llama_vocab_get_add_eos(IntPtr vocab);

    [System.Runtime.InteropServices.DllImport(Llama)]
    public static extern int llama_vocab_bos(IntPtr vocab);

    [System.Runtime.InteropServices.DllImport(Llama)]
    public static extern int llama_vocab_type(IntPtr vocab);

    [System.Runtime.InteropServices.DllImport(Llama)]
    public static extern int llama_model_n_ctx_train(IntPtr model);
}
