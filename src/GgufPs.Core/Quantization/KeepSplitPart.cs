namespace GgufPs.Quantization;

/// <summary>One output file of a --keep-split quantization: where it goes, its metadata and its tensors.</summary>
public sealed class KeepSplitPart
{
    internal KeepSplitPart(string path, IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<GgufTensorDescriptor> descriptors)
    {
        Path = path;
        Metadata = metadata;
        Descriptors = descriptors;
    }

    public string Path { get; }

    public IReadOnlyList<GgufMetadataEntry> Metadata { get; }

    public IReadOnlyList<GgufTensorDescriptor> Descriptors { get; }

    /// <summary>The file size the part will have.</summary>
    public long PredictedFileSize => GgufWriter.PredictSize(Metadata, Descriptors, alignEmptyData: true);
}
