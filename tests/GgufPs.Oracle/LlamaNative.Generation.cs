using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>The llama.cpp entry points generation needs beyond the foundation's.</summary>
internal static unsafe partial class LlamaNative
{
    [DllImport(Llama)] public static extern byte llama_vocab_is_eog(IntPtr vocab, int token);
}
