using System.Diagnostics.CodeAnalysis;
using GgufPs.Generation;

namespace GgufPs.Workflow;

/// <summary>Enter-Chat's words to the user, and what ends a chat (as llama-cli's conversation mode: an empty line or /bye).</summary>
public static class ChatConversationText
{
    public static string Greeting(string modelPath, string templateName, int contextLength, uint seed) =>
        $"Chatting with {modelPath} ({templateName} template, context of {contextLength} tokens, seed {seed}). " +
        "An empty line or /bye ends the chat; Ctrl+C stops an answer.";

    public static bool EndsChat([NotNullWhen(false)] string? line) =>
        string.IsNullOrWhiteSpace(line) || line.Trim().Equals("/bye", StringComparison.OrdinalIgnoreCase);

    /// <summary>What follows an answer on its line: a mark when Ctrl+C stopped it.</summary>
    public static string AnswerEnd(StopReason reason) => reason == StopReason.Cancelled ? " [stopped]" : "";

    public const string ContextFull = "The conversation fills the context; the next message will not fit. Start a new chat, with a larger -Context.";
}
