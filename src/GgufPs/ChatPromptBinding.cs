using System.Collections;
using System.Globalization;
using System.Management.Automation;
using GgufPs.Generation;

namespace GgufPs.Commands;

/// <summary>
/// What the chat cmdlets share: messages taken from PowerShell objects, and the chat template chosen from a name or
/// text, the model's own tokenizer.chat_template, or chatml when the model has none (as llama.cpp).
/// </summary>
internal static class ChatPromptBinding
{
    private static readonly string[] KnownRoles = ["system", "user", "assistant", "tool"];

    /// <summary>
    /// -Template/-ChatTemplate when given; else the template of <paramref name="modelPath"/> (chatml, with a warning,
    /// when it has none); else chatml. Null when the model's template could not be read or recognised (reported).
    /// An unknown -Template ends the command.
    /// </summary>
    public static ChatTemplate? ResolveTemplate(PSCmdlet cmdlet, string? template, string? modelPath, string parameterName)
    {
        if (template is not null)
        {
            try
            {
                return ChatTemplate.Get(template);
            }
            catch (UnknownChatTemplateException ex)
            {
                cmdlet.ThrowTerminatingError(ErrorCatalog.Record(ex, template));
            }
        }
        if (modelPath is null)
        {
            return ChatTemplate.Get("chatml");
        }
        string? text;
        try
        {
            using var file = GgufFile.Open(modelPath);
            text = ChatTemplate.FromMetadata(file.Metadata);
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            cmdlet.WriteError(ErrorCatalog.Record(ex, modelPath));
            return null;
        }
        if (text is null)
        {
            cmdlet.WriteWarning($"'{modelPath}' has no chat template ({ChatTemplate.MetadataKey}); using chatml, as llama.cpp does. Give -{parameterName} to choose another.");
            return ChatTemplate.Get("chatml");
        }
        if (ChatTemplate.TryGet(text, out var found))
        {
            return found;
        }
        cmdlet.WriteError(ErrorCatalog.Record(new UnknownChatTemplateException(text,
            $"The chat template of '{modelPath}' ({ChatTemplate.MetadataKey}: '{ChatTemplate.Abbreviate(text)}') is not one llama.cpp recognises " +
            $"without a Jinja engine. Give -{parameterName} with the built-in template the model was trained with. {ChatTemplate.BuiltinNamesSentence}"), modelPath));
        return null;
    }

    /// <summary>A hashtable, PSObject or any object with Role and Content. The usual roles are matched case-insensitively, as PowerShell users write them.</summary>
    public static ChatMessage ToChatMessage(PSCmdlet cmdlet, object? item)
    {
        object? value = item is PSObject wrapped ? wrapped.BaseObject : item;
        if (value is ChatMessage message)
        {
            return message;
        }
        object? role = null;
        object? content = null;
        bool hasRole = false;
        bool hasContent = false;
        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                string key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
                if (key.Equals("Role", StringComparison.OrdinalIgnoreCase))
                {
                    (role, hasRole) = (entry.Value, true);
                }
                else if (key.Equals("Content", StringComparison.OrdinalIgnoreCase))
                {
                    (content, hasContent) = (entry.Value, true);
                }
            }
        }
        else if (value is not null and not string)
        {
            var properties = PSObject.AsPSObject(item!).Properties;
            if (properties["Role"] is { } r)
            {
                (role, hasRole) = (r.Value, true);
            }
            if (properties["Content"] is { } c)
            {
                (content, hasContent) = (c.Value, true);
            }
        }
        string? roleText = Text(role);
        if (!hasRole || !hasContent || string.IsNullOrEmpty(roleText))
        {
            cmdlet.ThrowTerminatingError(ErrorCatalog.InvalidArgument("InvalidChatMessage",
                $"A message needs a Role and a Content, as @{{ Role = 'user'; Content = 'Hello' }} or [pscustomobject]@{{ Role = 'user'; Content = 'Hello' }}; got {Describe(value)}.",
                item));
        }
        string known = KnownRoles.FirstOrDefault(k => k.Equals(roleText, StringComparison.OrdinalIgnoreCase)) ?? roleText!;
        return new ChatMessage(known, Text(content) ?? "");
    }

    private static string? Text(object? value) =>
        Convert.ToString(value is PSObject p ? p.BaseObject : value, CultureInfo.InvariantCulture);

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"the text '{ChatTemplate.Abbreviate(s)}'",
        _ => $"a {value.GetType().Name}",
    };
}
