using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>
/// llama.cpp's chat-template entry points. llm_chat_detect_template and llm_chat_template_from_str have C++ linkage
/// and take a const std::string&amp;: libstdc++'s string is { char* data; size_t length; union { size_t capacity;
/// char local[16]; } } (32 bytes), which <see cref="StdString"/> lays out over memory the caller owns.
/// </summary>
internal static unsafe partial class LlamaNative
{
    [DllImport(Llama)]
    public static extern int llama_chat_apply_template(byte* tmpl, LlamaChatMessage* chat, nuint nMsg, byte addAss, byte* buf, int length);

    [DllImport(Llama)]
    public static extern int llama_chat_builtin_templates(byte** output, nuint len);

    [DllImport(Llama)]
    public static extern byte* llama_model_chat_template(IntPtr model, byte* name);

    [DllImport(Llama, EntryPoint = "_Z24llm_chat_detect_templateRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")]
    public static extern int llm_chat_detect_template(StdString* tmpl);

    [DllImport(Llama, EntryPoint = "_Z26llm_chat_template_from_strRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")]
    public static extern int llm_chat_template_from_str(StdString* name);
}
