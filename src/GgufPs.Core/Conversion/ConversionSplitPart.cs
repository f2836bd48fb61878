namespace GgufPs.Conversion;

/// <summary>One output file of a split conversion: its path, its metadata and the tensors it holds.</summary>
public sealed class ConversionSplitPart
{
    internal ConversionSplitPart(int index, string path, IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<PlannedTensor> tensors)
    {
        Index = index;
        Path = path;
        Metadata = metadata;
        Tensors = tensors;
        PredictedSize = GgufWriter.PredictSize(metadata, tensors.Select(t => t.Descriptor).ToList());
    }

    /// <summary>0-based: the part's split.no.</summary>
    public int Index { get; }

    public string Path { get; }

    public IReadOnlyList<GgufMetadataEntry> Metadata { get; }

    public IReadOnlyList<PlannedTensor> Tensors { get; }

    /// <summary>The exact size of the file.</summary>
    public long PredictedSize { get; }

    public override string ToString() => Path;
}
