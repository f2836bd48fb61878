using System.Globalization;
using GgufPs.Generation;
using GgufPs.Inference;

namespace GgufPs.Workflow;

/// <summary>
/// Invoke-TextGeneration's run, as llama-cli's completion: opens the model, generates from the prompt and hands the
/// text on as it is decided; and the command's words about it.
/// </summary>
public static class TextCompletion
{
    public const string LoadingStatus = "Loading the model and evaluating the prompt...";

    public const string PromptTakesNoTemplate = "-ChatTemplate formats -Message; the -Prompt is used as it is.";

    public static string Activity(string modelPath) => $"Generating with {Path.GetFileName(modelPath)}";

    /// <summary>
    /// Generates from <paramref name="prompt"/> with the model at <paramref name="modelPath"/>. <paramref name="onFirstText"/>
    /// hears when the model is loaded and the prompt evaluated (the first piece is ready), <paramref name="onText"/> each
    /// piece, and <paramref name="onEndOfText"/> (if given) the end of a text that had any piece.
    /// </summary>
    public static GenerationResult Run(string modelPath, string prompt, GenerationOptions options, Action<string>? warning,
        Action onFirstText, Action<string> onText, Action? onEndOfText, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(onFirstText);
        ArgumentNullException.ThrowIfNull(onText);
        using var model = TransformerModel.Open(modelPath);
        var generator = new TextGenerator(model, options) { Warning = warning };
        bool started = false;
        var result = generator.Generate(prompt, piece =>
        {
            if (!started)
            {
                started = true;
                onFirstText();
            }
            onText(piece);
        }, cancel);
        if (started)
        {
            onEndOfText?.Invoke();
        }
        return result;
    }

    /// <summary>A line for -Verbose: the prompt's and the text's tokens and speeds, the seed and why it stopped.</summary>
    public static string Summary(GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Create(CultureInfo.InvariantCulture,
            $"{result.PromptTokenCount} prompt tokens at {result.PromptTokensPerSecond:F1} tok/s; {result.TokenCount} tokens at {result.TokensPerSecond:F1} tok/s; seed {result.Seed}; {result.StopReason}.");
    }

    public static string ContextFull(GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return $"The context is full after {result.TokenCount} tokens; give a larger -Context to generate more.";
    }
}
