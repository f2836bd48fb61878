using System.Runtime.InteropServices;
using System.Text;

namespace GgufPs.Oracle;

/// <summary>llama.cpp's built-in chat templates: the names, detection from a template text, and llama_chat_apply_template.</summary>
internal static unsafe class LlamaCppChat
{
    /// <summary>llama_chat_builtin_templates, in llama.cpp's order.</summary>
    public static string[] BuiltinTemplates()
    {
        LlamaNative.EnsureLoaded();
        int n = LlamaNative.llama_chat_builtin_templates(null, 0);
        var names = new IntPtr[n];
        fixed (IntPtr* p = names)
        {
            LlamaNative.llama_chat_builtin_templates((byte**)p, (nuint)n);
        }
        return names.Select(p => Marshal.PtrToStringUTF8(p) ?? "").ToArray();
    }

    /// <summary>
    /// llama_chat_apply_template's output as raw bytes, or null when llama.cpp returns an error (an unknown template,
    /// or a conversation the template cannot express).
    /// </summary>
    public static byte[]? Apply(string template, IReadOnlyList<(string Role, string Content)> messages, bool addAssistant)
    {
        LlamaNative.EnsureLoaded();
        var handles = new List<GCHandle>();
        try
        {
            byte* Pin(string s)
            {
                var h = GCHandle.Alloc(Encoding.UTF8.GetBytes(s + "\0"), GCHandleType.Pinned);
                handles.Add(h);
                return (byte*)h.AddrOfPinnedObject();
            }
            var chat = new LlamaChatMessage[messages.Count];
            for (int i = 0; i < messages.Count; i++)
            {
                chat[i] = new LlamaChatMessage { Role = Pin(messages[i].Role), Content = Pin(messages[i].Content) };
            }
            byte* tmpl = Pin(template);
            int capacity = 1024;
            while (true)
            {
                var buffer = new byte[capacity];
                int n;
                fixed (LlamaChatMessage* c = chat)
                fixed (byte* b = buffer)
                {
                    n = LlamaNative.llama_chat_apply_template(tmpl, c, (nuint)chat.Length, addAssistant ? (byte)1 : (byte)0, b, capacity);
                }
                if (n < 0)
                {
                    return null;
                }
                if (n <= capacity)
                {
                    return buffer[..n];
                }
                capacity = n;
            }
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }

    /// <summary>
    /// The built-in template llm_chat_detect_template picks for a name or a template text, or null for none. DOTS1 has
    /// a rule but no name: it is the enum value between smolvlm's and hunyuan-moe's, and is reported as "dots1".
    /// </summary>
    public static string? Detect(string template)
    {
        var values = ValuesByName.Value;
        var byValue = values.ToDictionary(kv => kv.Value, kv => kv.Key);
        int value = CallWithStdString(template, s => LlamaNative.llm_chat_detect_template(s));
        if (byValue.TryGetValue(value, out string? name))
        {
            return name;
        }
        bool dots1 = value == values["smolvlm"] + 1 && value == values["hunyuan-moe"] - 1;
        return dots1 ? "dots1" : null;
    }

    /// <summary>The llm_chat_template enum value of each built-in name (llm_chat_template_from_str).</summary>
    private static readonly Lazy<Dictionary<string, int>> ValuesByName = new(() =>
        BuiltinTemplates().ToDictionary(n => n, n => CallWithStdString(n, s => LlamaNative.llm_chat_template_from_str(s))));

    private delegate int StdStringCall(StdString* s);

    private static int CallWithStdString(string text, StdStringCall call)
    {
        LlamaNative.EnsureLoaded();
        byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
        fixed (byte* p = bytes)
        {
            var s = new StdString { Data = p, Length = (nuint)(bytes.Length - 1), Capacity = (nuint)(bytes.Length - 1) };
            return call(&s);
        }
    }
}
