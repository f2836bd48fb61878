using System.Management.Automation;
using GgufPs.Generation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Enter-Chat: a conversation with a model at the console, as llama-cli's conversation mode: each line typed is a
/// user message, answered as it is generated; the KV cache carries the conversation from turn to turn. Lines piped in
/// make a scripted conversation. An empty line or /bye ends it; Ctrl+C stops the current answer.
/// </summary>
[Cmdlet(VerbsCommon.Enter, "Chat")]
[OutputType(typeof(GenerationResult))]
public sealed class EnterChatCommand : GenerationCommand, IDisposable
{
    private ChatConversation? _chat;

    [Parameter(Mandatory = true, Position = 0)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A user message; piped lines make a scripted conversation instead of reading the console.</summary>
    [Parameter(ValueFromPipeline = true)]
    [AllowEmptyString]
    public string? InputObject { get; set; }

    [Parameter]
    [ValidateNotNull]
    public string? SystemPrompt { get; set; }

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int MaxTokens { get; set; } = -1;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } model || ChatPromptBinding.ResolveTemplate(this, ChatTemplate, model, nameof(ChatTemplate)) is not { } template)
        {
            return;
        }
        var options = GenerationOptions(MaxTokens, ignoreEos: false);
        _chat = ThrowCoreErrors(model, () => ChatConversation.Open(model, template, options, SystemPrompt, WriteWarning));
        WriteVerbose(DescribeSampling(options));
        Say(_chat.Greeting);
    }

    protected override void ProcessRecord()
    {
        if (MyInvocation.ExpectingInput && _chat is { Ended: false })
        {
            Say("> " + InputObject);
            Turn(InputObject);
        }
    }

    protected override void EndProcessing()
    {
        if (!MyInvocation.ExpectingInput)
        {
            // Held across answers and prompts, so Ctrl+C stays a key throughout: a press between an answer's end and
            // the next prompt is read at the prompt (ending the chat) instead of stopping the pipeline unseen. At the
            // console itself the prompt reads Ctrl+C as a key; elsewhere the host reads the line.
            using var console = ControlCInterception.TryStart(this);
            while (_chat is { Ended: false })
            {
                Host.UI.Write("> ");
                Turn(console is null ? Host.UI.ReadLine() : ConsoleLineReader.ReadLine(Host.UI));
            }
        }
        Dispose();
    }

    public new void Dispose()
    {
        _chat?.Dispose();
        _chat = null;
        base.Dispose();
    }

    private void Turn(string? line)
    {
        if (_chat is not { } chat || !chat.Takes(line))
        {
            return;
        }
        ReportCoreErrors(line, () =>
        {
            // Ctrl+C read as a key stops this answer only; the chat goes on.
            using var interception = ControlCInterception.TryStart(this);
            var result = RunWorker((channel, cancel) => ControlCAnswerStop.Run(interception, cancel,
                answer => chat.Respond(line, piece => channel.HostText(piece), end => channel.HostText(end, newLine: true), answer)));
            if (result.StopReason == StopReason.ContextFull)
            {
                WriteWarning(ChatConversationText.ContextFull);
            }
            if (PassThru)
            {
                WriteObject(result);
            }
        });
    }

    private void Say(string text) => WriteInformation(new HostInformationMessage { Message = text }, ["PSHOST"]);
}
