using System.Management.Automation;
using GgufPs.Generation;
using GgufPs.Inference;
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
    private TransformerModel? _model;
    private ChatSession? _session;
    private bool _ended;

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
        string model = FileSystemPathResolver.ResolveOutput(this, Path);
        if (!FileSystemPathResolver.CheckExistingFile(this, model))
        {
            _ended = true;
            return;
        }
        if (ChatPromptBinding.ResolveTemplate(this, ChatTemplate, model, nameof(ChatTemplate)) is not { } template)
        {
            _ended = true;
            return;
        }
        var options = GenerationOptions(MaxTokens, ignoreEos: false);
        try
        {
            _model = TransformerModel.Open(model);
            _session = new ChatSession(_model, template, options, SystemPrompt, WriteWarning);
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            ThrowCoreError(ex, model);
        }
        WriteVerbose(DescribeSampling(options));
        Say(ChatConversationText.Greeting(_model!.Path, template.Name, _session!.ContextLength, _session.Seed));
    }

    protected override void ProcessRecord()
    {
        if (MyInvocation.ExpectingInput && !_ended)
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
            // the next prompt is read at the prompt (ending the chat) instead of stopping the pipeline unseen.
            using var console = ControlCInterception.TryStart(this);
            while (!_ended)
            {
                Turn(ReadUserLine(console));
            }
        }
        Dispose();
    }

    public new void Dispose()
    {
        _session?.Dispose();
        _session = null;
        _model?.Dispose();
        _model = null;
        base.Dispose();
    }

    private void Turn(string? line)
    {
        if (_ended)
        {
            return;
        }
        if (ChatConversationText.EndsChat(line))
        {
            _ended = true;
            return;
        }
        var session = _session!;
        try
        {
            using var interception = ControlCInterception.TryStart(this);
            var result = RunWorker((channel, cancel) =>
            {
                // Ctrl+C read as a key stops this answer only; the chat goes on.
                using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                using var watch = ControlCAnswerStop.Start(interception, answer);
                var reply = session.Respond(line, piece => channel.HostText(piece), answer.Token);
                channel.HostText(ChatConversationText.AnswerEnd(reply.StopReason), newLine: true);
                return reply;
            });
            if (result.StopReason == StopReason.ContextFull)
            {
                WriteWarning(ChatConversationText.ContextFull);
            }
            if (PassThru)
            {
                WriteObject(result);
            }
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, line);
            _ended = ex is InvalidOperationException;
        }
    }

    // At the console itself Ctrl+C is read as a key, ending the chat at the prompt; elsewhere the host reads the line
    // (and Ctrl+C stops the pipeline).
    private string? ReadUserLine(ControlCInterception? console)
    {
        Host.UI.Write("> ");
        return console is null ? Host.UI.ReadLine() : ConsoleLineReader.ReadLine(Host.UI);
    }

    private void Say(string text) => WriteInformation(new HostInformationMessage { Message = text }, ["PSHOST"]);
}
