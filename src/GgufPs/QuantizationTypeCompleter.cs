using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using GgufPs.Quantization;

namespace GgufPs.Commands;

/// <summary>Tab completion for Invoke-Quantize -Type: every preset, case-insensitively, with its bits per weight and llama.cpp's note on quality.</summary>
public sealed class QuantizationTypeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        foreach (var preset in QuantizationPreset.All)
        {
            if (preset.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string bits = preset.IsCopy ? "as stored" : $"{preset.BitsPerWeight:0.##} bpw";
                yield return new CompletionResult(preset.Name, preset.Name, CompletionResultType.ParameterValue, $"{preset.Name}: {bits}; {preset.Description}");
            }
        }
    }
}
