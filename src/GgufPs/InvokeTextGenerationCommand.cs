using System.Management.Automation;
using GgufPs.Generation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Invoke-TextGeneration: llama-cli's completion of a prompt (or of a conversation formatted with a chat template).
/// The text streams to the information stream as it is generated, and one GenerationResult comes out at the end; with
/// -Stream each piece goes to the pipeline instead. Ctrl+C returns what was generated.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "TextGeneration", DefaultParameterSetName = PromptSet)]
[OutputType(typeof(GenerationResult))]
[OutputType(typeof(string))]
public sealed class InvokeTextGenerationCommand : GenerationCommand
{
    private const string PromptSet = "Prompt";
    private const string MessageSet = "Message";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = PromptSet)]
    [AllowEmptyString]
    public string Prompt { get; set; } = "";

    // Not mandatory: PowerShell would prompt for objects no one can type; -Message alone selects its set anyway.
    [Parameter(ParameterSetName = MessageSet)]
    [ValidateNotNullOrEmpty]
    public object[] Message { get; set; } = [];

    [Parameter]
    [ValidateRange(-1, int.MaxValue)]
    public int MaxTokens { get; set; } = 128;

    [Parameter]
    public SwitchParameter IgnoreEos { get; set; }

    [Parameter]
    public SwitchParameter Stream { get; set; }

    protected override void ProcessRecord()
    {
        if (Interrupted)
        {
            return;
        }
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } model)
        {
            return;
        }
        string prompt = Prompt;
        if (ParameterSetName == MessageSet)
        {
            var messages = Message.Select(m => ChatPromptBinding.ToChatMessage(this, m)).ToList();
            if (ChatPromptBinding.ResolveTemplate(this, ChatTemplate, model, nameof(ChatTemplate)) is not { } template)
            {
                return;
            }
            WriteVerbose($"Chat template: {template.Name}.");
            prompt = template.Apply(messages, addAssistant: true);
        }
        else if (ChatTemplate is not null)
        {
            WriteWarning(TextCompletion.PromptTakesNoTemplate);
        }
        var options = GenerationOptions(MaxTokens, IgnoreEos);
        ReportCoreErrors(model, () =>
        {
            WriteVerbose(DescribeSampling(options));
            bool stream = Stream;
            var result = RunWorker((channel, cancel) => Generate(channel, cancel, model, prompt, options, stream), interruptible: true);
            WriteVerbose(TextCompletion.Summary(result));
            if (result.StopReason == StopReason.ContextFull)
            {
                WriteWarning(TextCompletion.ContextFull(result));
            }
            if (!stream)
            {
                WriteObject(result);
            }
        });
    }

    // On the worker thread: the text goes to the host as it comes, or with -Stream to the pipeline piece by piece.
    private static GenerationResult Generate(WorkerChannel channel, CancellationToken cancel, string path, string prompt, GenerationOptions options, bool stream)
    {
        channel.Progress(new WorkerProgress(1, TextCompletion.Activity(path), TextCompletion.LoadingStatus));
        return TextCompletion.Run(path, prompt, options, channel.Warning,
            () => channel.Progress(new WorkerProgress(1, "Generating", " ") { Completed = true }),
            stream ? channel.Output : piece => channel.HostText(piece),
            stream ? null : () => channel.HostText("", newLine: true),
            cancel);
    }
}
