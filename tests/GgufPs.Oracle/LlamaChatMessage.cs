namespace GgufPs.Oracle;

/// <summary>llama_chat_message: two NUL-terminated UTF-8 strings.</summary>
internal unsafe struct LlamaChatMessage
{
    public byte* Role;
    public byte* Content;
}
