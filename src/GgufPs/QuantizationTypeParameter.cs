using System.Management.Automation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>The -Type of the quantizing cmdlets: a name that is no quantization type ends the command, naming it.</summary>
internal static class QuantizationTypeParameter
{
    public static List<QuantizationPreset> Parse(PSCmdlet cmdlet, IEnumerable<string> names)
    {
        try
        {
            return names.Select(QuantizationTypeCatalog.ParsePreset).ToList();
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            cmdlet.ThrowTerminatingError(ErrorCatalog.Record(ex, null));
            throw; // Not reached: ThrowTerminatingError throws.
        }
    }
}
