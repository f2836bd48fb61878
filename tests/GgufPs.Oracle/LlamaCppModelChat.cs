using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>llama_model_chat_template on a model loaded by the oracle.</summary>
internal static unsafe class LlamaCppModelChat
{
    /// <summary>The model's default chat template (tokenizer.chat_template), or null.</summary>
    public static string? ChatTemplate(this LlamaCppModel model)
    {
        byte* text = LlamaNative.llama_model_chat_template(model.Model, null);
        return text == null ? null : Marshal.PtrToStringUTF8((IntPtr)text);
    }
}
