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
    private readonly List<ChatMessage> _messages = [];
    private bool _messagesFromCommandLine;

    // Not mandatory: PowerShell would prompt for objects no one can type. Without it, BeginProcessing says what to give.
    [Parameter(Position = 0, ValueFromPipeline = true)]
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
        if (!_messagesFromCommandLine && !MyInvocation.ExpectingInput)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("MissingInput",
                "Give the conversation with -Message (objects or hashtables with Role and Content) or from the pipeline.", null));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (object? item in Message)
        {
            _messages.Add(ChatPromptBinding.ToChatMessage(this, item));
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
        string? model = FileSystemPathResolver.ResolveOptionalOutput(this, Path);
        if (Template is null && model is not null && !FileSystemPathResolver.CheckExistingFile(this, model))
        {
            return null;
        }
        return ChatPromptBinding.ResolveTemplate(this, Template, Template is null ? model : null, nameof(Template));
    }
}
