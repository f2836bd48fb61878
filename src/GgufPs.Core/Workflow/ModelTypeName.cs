using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>The type a model is known by (F16, Q4_K_M ...), as Compare-Quantization and Measure-Throughput name it.</summary>
internal static class ModelTypeName
{
    // general.file_type names the type; llama2.c conversions have none, so the commonest tensor type does.
    public static string Of(GgufModelInfo model)
    {
        if (model.Metadata.GetInteger("general.file_type") is { } stored)
        {
            var preset = QuantizationPreset.All.FirstOrDefault(p => (long)p.FileType == stored && p.AliasOf is null && !p.IsCopy);
            if (preset is not null)
            {
                return preset.Name;
            }
        }
        return model.Tensors.Where(t => t.Shape.Length >= 2).GroupBy(t => t.TypeName).MaxBy(g => g.Sum(t => t.ElementCount))?.Key
            ?? model.FileType ?? "unknown";
    }
}
