namespace GgufPs;

/// <summary>
/// A split set whose parts do not fit together: a part from another set, a split.count or split.tensors.count that
/// disagrees with the files, a tensor in two parts, or a name that does not follow llama.cpp's naming.
/// </summary>
public sealed class GgufSplitException : IOException
{
    public GgufSplitException(string filePath, string reason)
        : base($"'{filePath}' does not fit its split set: {reason}.")
    {
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>The part at fault.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Reason { get; }
}
