using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Tab completion for -Type: every quantization type of the catalogue Get-GgufQuantizationType lists,
/// case-insensitively, with its bits per weight, llama.cpp's note on quality and what it is for.
/// </summary>
public sealed class QuantizationTypeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        foreach (var type in QuantizationTypeCatalog.All)
        {
            if (type.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string bits = type.IsCopy ? "as stored" : $"{type.BitsPerWeight:0.##} bpw";
                string imatrix = type.RequiresImportanceMatrix ? "; needs an importance matrix" : "";
                yield return new CompletionResult(type.Name, type.Name, CompletionResultType.ParameterValue,
                    $"{type.Name}: {bits}; {type.Description}{imatrix}. {type.UseCase}");
            }
        }
    }
}
