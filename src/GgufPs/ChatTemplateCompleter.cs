using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GgufPs.Generation;

namespace GgufPs.Commands;

/// <summary>Tab completion for -Template: llama.cpp's built-in chat templates, each shown with a short user turn in its format.</summary>
public sealed class ChatTemplateCompleter : IArgumentCompleter
{
    private static readonly ChatMessage[] Sample = [new("user", "Hi")];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        foreach (string name in ChatTemplate.BuiltinNames)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string example = ChatTemplate.Get(name).Apply(Sample, addAssistant: true).Replace("\n", "\\n");
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, $"{name}: {example}");
            }
        }
    }
}
