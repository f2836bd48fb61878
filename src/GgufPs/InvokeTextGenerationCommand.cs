using System.Management.Automation;
using GgufPs.Generation;
using GgufPs.Inference;

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
            WriteWarning("-ChatTemplate formats -Message; the -Prompt is used as it is.");
        }
        var options = GenerationOptions(MaxTokens, IgnoreEos);
        try
        {
            WriteVerbose(DescribeSampling(options));
            bool stream = Stream;
            var result = RunWorker((channel, cancel) => Generate(channel, cancel, model, prompt, options, stream), interruptible: true);
            WriteVerbose(FormattableString.Invariant(
                $"{result.PromptTokenCount} prompt tokens at {result.PromptTokensPerSecond:F1} tok/s; {result.TokenCount} tokens at {result.TokensPerSecond:F1} tok/s; seed {result.Seed}; {result.StopReason}."));
            if (result.StopReason == StopReason.ContextFull)
            {
                WriteWarning($"The context is full after {result.TokenCount} tokens; give a larger -Context to generate more.");
            }
            if (!stream)
            {
                WriteObject(result);
            }
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, model);
        }
    }

    // On the worker thread.
    private static GenerationResult Generate(WorkerChannel channel, CancellationToken cancel, string path, string prompt, GenerationOptions options, bool stream)
    {
        channel.Progress(new WorkerProgress(1, $"Generating with {System.IO.Path.GetFileName(path)}", "Loading the model and evaluating the prompt..."));
        using var model = TransformerModel.Open(path);
        var generator = new TextGenerator(model, options) { Warning = channel.Warning };
        bool started = false;
        var result = generator.Generate(prompt, piece =>
        {
            if (!started)
            {
                started = true;
                channel.Progress(new WorkerProgress(1, "Generating", " ") { Completed = true });
            }
            if (stream)
            {
                channel.Output(piece);
            }
            else
            {
                channel.HostText(piece);
            }
        }, cancel);
        if (!stream && started)
        {
            channel.HostText("", newLine: true);
        }
        return result;
    }
}
