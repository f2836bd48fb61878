using System.Diagnostics.CodeAnalysis;

namespace GgufPs.Generation;

/// <summary>
/// A chat format as llama.cpp's llama_chat_apply_template knows it: one of its built-in names, or the built-in
/// format its substring rules recognise in a template text (a model's Jinja tokenizer.chat_template). There is no
/// Jinja engine: as in llama.cpp, a template text only selects one of the hand-written formats.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The GGUF key of a model's chat template.</summary>
    public const string MetadataKey = "tokenizer.chat_template";

    private readonly ChatTemplateKind _kind;

    private ChatTemplate(ChatTemplateKind kind)
    {
        _kind = kind;
        // dots1 has a detection rule in llama.cpp but no name it accepts.
        Name = ChatTemplateDetector.Names.FirstOrDefault(kv => kv.Value == kind).Key ?? "dots1";
    }

    /// <summary>The built-in template names, in llama.cpp's order (llama_chat_builtin_templates).</summary>
    public static IReadOnlyList<string> BuiltinNames { get; } = ChatTemplateDetector.Names.Keys.ToArray();

    /// <summary>The built-in format used.</summary>
    public string Name { get; }

    /// <summary>The template a built-in name or a template text stands for.</summary>
    /// <exception cref="UnknownChatTemplateException">llama.cpp recognises neither; the message lists the built-in names.</exception>
    public static ChatTemplate Get(string nameOrText)
    {
        ArgumentNullException.ThrowIfNull(nameOrText);
        if (TryGet(nameOrText, out var template))
        {
            return template;
        }
        throw new UnknownChatTemplateException(nameOrText,
            $"The chat template '{Abbreviate(nameOrText)}' is neither a built-in template name nor a template text llama.cpp recognises " +
            $"(chats are formatted without a Jinja engine, as llama.cpp's llama_chat_apply_template does). {BuiltinNamesSentence}");
    }

    /// <summary>"Built-in templates: chatml, ...": the list error messages end with.</summary>
    public static string BuiltinNamesSentence => $"Built-in templates: {string.Join(", ", BuiltinNames)}.";

    /// <summary>The first line or 60 characters of a template text, for messages.</summary>
    public static string Abbreviate(string template)
    {
        string shown = template.ReplaceLineEndings(" ");
        return shown.Length > 60 ? shown[..57] + "..." : shown;
    }

    public static bool TryGet(string nameOrText, [NotNullWhen(true)] out ChatTemplate? template)
    {
        ArgumentNullException.ThrowIfNull(nameOrText);
        var kind = ChatTemplateDetector.Detect(CString(nameOrText));
        template = kind is null ? null : new ChatTemplate(kind.Value);
        return template is not null;
    }

    /// <summary>A model's tokenizer.chat_template (llama_model_chat_template with no name), or null when it has none.</summary>
    public static string? FromMetadata(GgufMetadataCollection metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string? text = metadata.GetString(MetadataKey);
        return string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>
    /// The conversation in this format, with the assistant's opening when <paramref name="addAssistant"/> is set (some
    /// formats always or never add it, as in llama.cpp). Like llama.cpp's C strings, roles and contents end at a NUL.
    /// </summary>
    public string Apply(IReadOnlyList<ChatMessage> messages, bool addAssistant)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chat = new ChatMessage[messages.Count];
        for (int i = 0; i < chat.Length; i++)
        {
            var m = messages[i] ?? throw new ArgumentException($"Message {i} is null.", nameof(messages));
            chat[i] = new ChatMessage(
                CString(m.Role ?? throw new ArgumentException($"Message {i} has no role.", nameof(messages))),
                CString(m.Content ?? ""));
        }
        return ChatTemplateFormatter.Format(_kind, chat, addAssistant);
    }

    public override string ToString() => Name;

    private static string CString(string s)
    {
        int nul = s.IndexOf('\0');
        return nul < 0 ? s : s[..nul];
    }
}
