namespace GgufPs.Quantization;

/// <summary>
/// How llama-quantize --keep-split lays a quantization of a split model out: one output part per input part, with the
/// same tensors in the same order; the first part carries the metadata, and every part ends its metadata with
/// split.no, split.count and split.tensors.count, in that order.
/// </summary>
public sealed class KeepSplitPlan
{
    private KeepSplitPlan(QuantizationPlan plan, IReadOnlyList<KeepSplitPart> parts)
    {
        Plan = plan;
        Parts = parts;
    }

    public QuantizationPlan Plan { get; }

    public IReadOnlyList<KeepSplitPart> Parts { get; }

    /// <summary>
    /// Lays out <paramref name="plan"/>, which must have been made with <see cref="QuantizationOptions.KeepSplit"/>,
    /// under the prefix <paramref name="outputPath"/> without its .gguf, as llama-quantize names the parts.
    /// </summary>
    public static KeepSplitPlan Create(QuantizationPlan plan, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var tensors = plan.Tensors;
        for (int i = 1; i < tensors.Count; i++)
        {
            var (a, b) = (tensors[i - 1].Source, tensors[i].Source);
            if (a.SplitIndex > b.SplitIndex || (a.SplitIndex == b.SplitIndex && a.FileOffset > b.FileOffset))
            {
                throw new ArgumentException("The plan was not made with KeepSplit: its tensors are not in part and file order.", nameof(plan));
            }
        }
        int count = tensors.Count == 0 ? 1 : tensors.Max(t => t.Source.SplitIndex) + 1;
        string prefix = GgufSplitNaming.PrefixOf(Path.GetFullPath(outputPath));
        var parts = new List<KeepSplitPart>(count);
        for (int p = 0; p < count; p++)
        {
            var metadata = new List<GgufMetadataEntry>();
            if (p == 0)
            {
                metadata.AddRange(plan.Metadata);
            }
            if (count > 1)
            {
                metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Number, GgufValueType.UInt16, p));
                metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Count, GgufValueType.UInt16, count));
                metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.TensorCount, GgufValueType.Int32, tensors.Count));
            }
            int part = p;
            var descriptors = plan.Descriptors.Where((_, i) => tensors[i].Source.SplitIndex == part).ToArray();
            parts.Add(new KeepSplitPart(GgufSplitNaming.PartPath(prefix, p, count), metadata, descriptors));
        }
        return new KeepSplitPlan(plan, parts);
    }
}
