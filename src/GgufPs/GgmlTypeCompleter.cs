using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GgufPs.Quantization;

namespace GgufPs.Commands;

/// <summary>Tab completion for tensor types (-OutputTensorType, -TokenEmbeddingType): the types this build can write, with bits per weight.</summary>
public sealed class GgmlTypeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        foreach (var format in BlockFormats.All.Where(f => f.IsTensorFormat))
        {
            string name = format.Type.ToString();
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                var info = GgmlTypeInfo.Get(format.Type);
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, $"{name}: {info.BitsPerWeight:0.##} bpw");
            }
        }
    }
}
