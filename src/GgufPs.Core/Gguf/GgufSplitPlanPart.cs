namespace GgufPs;

/// <summary>One file a split or merge will write: where, its metadata, and the input tensors it holds.</summary>
public sealed class GgufSplitPlanPart
{
    internal GgufSplitPlanPart(int index, string path, IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<GgufTensorInfo> sources)
    {
        Index = index;
        Path = path;
        Metadata = metadata;
        Sources = sources;
        Descriptors = sources.Select(t => new GgufTensorDescriptor(t.Name, t.Type, GgufLayout.GgmlShape(t.Shape))).ToArray();
        PredictedFileSize = GgufWriter.PredictSize(metadata, Descriptors, alignEmptyData: true);
        TensorBytes = sources.Sum(t => t.ByteSize);
    }

    /// <summary>0-based: the split.no the part gets.</summary>
    public int Index { get; }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public int TensorCount => Sources.Count;

    /// <summary>Bytes of tensor data, without padding.</summary>
    public long TensorBytes { get; }

    /// <summary>The exact size of the file to be written.</summary>
    public long PredictedFileSize { get; }

    public IReadOnlyList<GgufMetadataEntry> Metadata { get; }

    internal IReadOnlyList<GgufTensorInfo> Sources { get; }

    internal IReadOnlyList<GgufTensorDescriptor> Descriptors { get; }

    public override string ToString() => Path;
}
