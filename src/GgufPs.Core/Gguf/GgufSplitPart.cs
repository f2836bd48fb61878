namespace GgufPs;

/// <summary>One file of a model: the only one, or one part of a split set.</summary>
public sealed class GgufSplitPart
{
    public GgufSplitPart(int index, string path, long fileSize, int tensorCount)
    {
        Index = index;
        Path = path;
        FileSize = fileSize;
        TensorCount = tensorCount;
    }

    /// <summary>The part's split.no: 0 for the first part (and for a single file).</summary>
    public int Index { get; }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public long FileSize { get; }

    public int TensorCount { get; }

    public override string ToString() => Path;
}
