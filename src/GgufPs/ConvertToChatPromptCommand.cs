using System.Collections;
using System.Globalization;
using System.Management.Automation;
using GgufPs.Generation;

namespace GgufPs.Commands;

/// <summary>
/// ConvertTo-ChatPrompt: formats a conversation as a model expects its prompt, as llama.cpp's
/// llama_chat_apply_template does: a built-in template by name, the template llama.cpp recognises in a template
/// text, or the model's own tokenizer.chat_template.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "ChatPrompt")]
[OutputType(typeof(string))]
public sealed class ConvertToChatPromptCommand : PSCmdlet
{
    private static readonly string[] KnownRoles = ["system", "user", "assistant", "tool"];

    private readonly List<ChatMessage> _messages = [];
    private bool _messagesFromCommandLine;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    public object[] Message { get; set; } = [];

    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(ChatTemplateCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Template { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter AddGenerationPrompt { get; set; }

    protected override void BeginProcessing()
    {
        // Messages given as an argument make one prompt per input record (per model piped in); messages piped in
        // one by one make one prompt of them all, at the end.
        _messagesFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Message));
    }

    protected override void ProcessRecord()
    {
        foreach (object? item in Message)
        {
            _messages.Add(ToChatMessage(item));
        }
        if (_messagesFromCommandLine)
        {
            WritePrompt();
            _messages.Clear();
        }
    }

    protected override void EndProcessing()
    {
        if (!_messagesFromCommandLine)
        {
            WritePrompt();
        }
    }

    private void WritePrompt()
    {
        ChatTemplate? template = ResolveTemplate();
        if (template is not null)
        {
            WriteVerbose($"Chat template: {template.Name}.");
            WriteObject(template.Apply(_messages, AddGenerationPrompt));
        }
    }

    /// <summary>-Template; else the model's template (chatml when it has none, as llama.cpp); else chatml.</summary>
    private ChatTemplate? ResolveTemplate()
    {
        if (Template is not null)
        {
            try
            {
                return ChatTemplate.Get(Template);
            }
            catch (UnknownChatTemplateException ex)
            {
                ThrowTerminatingError(ErrorCatalog.Record(ex, Template));
            }
        }
        if (Path is null)
        {
            return ChatTemplate.Get("chatml");
        }
        string model = FileSystemPathResolver.ResolveOutput(this, Path);
        if (!FileSystemPathResolver.CheckExistingFile(this, model))
        {
            return null;
        }
        string? text;
        try
        {
            using var file = GgufFile.Open(model);
            text = ChatTemplate.FromMetadata(file.Metadata);
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteError(ErrorCatalog.Record(ex, model));
            return null;
        }
        if (text is null)
        {
            WriteWarning($"'{model}' has no chat template ({ChatTemplate.MetadataKey}); using chatml, as llama.cpp does. Give -Template to choose another.");
            return ChatTemplate.Get("chatml");
        }
        if (ChatTemplate.TryGet(text, out var template))
        {
            return template;
        }
        WriteError(ErrorCatalog.Record(new UnknownChatTemplateException(text,
            $"The chat template of '{model}' ({ChatTemplate.MetadataKey}: '{ChatTemplate.Abbreviate(text)}') is not one llama.cpp recognises " +
            $"without a Jinja engine. Give -Template with the built-in template the model was trained with. {ChatTemplate.BuiltinNamesSentence}"), model));
        return null;
    }

    /// <summary>A hashtable, PSObject or any object with Role and Content. The usual roles are matched case-insensitively, as PowerShell users write them.</summary>
    private ChatMessage ToChatMessage(object? item)
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
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("InvalidChatMessage",
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
