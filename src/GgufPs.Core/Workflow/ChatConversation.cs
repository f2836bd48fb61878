using System.Diagnostics.CodeAnalysis;
using GgufPs.Generation;
using GgufPs.Inference;

namespace GgufPs.Workflow;

/// <summary>
/// Enter-Chat's conversation: a chat session on a model it opened and owns, which ends at an empty line or /bye (as
/// llama-cli's conversation mode), at the end of input, or once the conversation no longer fits the context.
/// </summary>
public sealed class ChatConversation : IDisposable
{
    private readonly TransformerModel _model;
    private readonly ChatSession _session;

    private ChatConversation(TransformerModel model, ChatSession session)
    {
        _model = model;
        _session = session;
    }

    /// <summary>Opens <paramref name="modelPath"/> and starts the conversation; <paramref name="warning"/> hears what llama.cpp only warns about.</summary>
    public static ChatConversation Open(string modelPath, ChatTemplate template, GenerationOptions options, string? systemPrompt, Action<string>? warning)
    {
        var model = TransformerModel.Open(modelPath);
        try
        {
            return new ChatConversation(model, new ChatSession(model, template, options, systemPrompt, warning));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public bool Ended { get; private set; }

    /// <summary>The first words to the user: the model, template, context and seed, and how to stop.</summary>
    public string Greeting => ChatConversationText.Greeting(_model.Path, _session.TemplateName, _session.ContextLength, _session.Seed);

    /// <summary>Whether <paramref name="line"/> is a message to answer; a line that ends the chat (or null, the end of input) ends it instead.</summary>
    public bool Takes([NotNullWhen(true)] string? line)
    {
        if (!Ended)
        {
            Ended = ChatConversationText.EndsChat(line);
            return !Ended;
        }
        return false;
    }

    /// <summary>
    /// Answers <paramref name="message"/>, handing each piece of text to <paramref name="onText"/> as it is decided and
    /// then what ends the answer's line (a mark when <paramref name="cancel"/> stopped it) to <paramref name="onEnd"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The conversation no longer fits the context; it has ended.</exception>
    public GenerationResult Respond(string message, Action<string> onText, Action<string> onEnd, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(onEnd);
        GenerationResult reply;
        try
        {
            reply = _session.Respond(message, onText, cancel);
        }
        catch (InvalidOperationException)
        {
            Ended = true;
            throw;
        }
        onEnd(ChatConversationText.AnswerEnd(reply.StopReason));
        return reply;
    }

    public void Dispose()
    {
        _session.Dispose();
        _model.Dispose();
    }
}
