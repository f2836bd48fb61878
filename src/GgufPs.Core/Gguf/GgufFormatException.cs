namespace GgufPs;

/// <summary>A file that is not a GGUF file, or a GGUF file that is truncated or inconsistent.</summary>
public sealed class GgufFormatException : IOException
{
    public GgufFormatException(string? path, string reason, long? offset = null)
        : base(Describe(path, reason, offset))
    {
        FilePath = path;
        Reason = reason;
        Offset = offset;
    }

    /// <summary>The file the problem was found in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Reason { get; }

    /// <summary>The byte offset at which the problem was found, when known.</summary>
    public long? Offset { get; }

    private static string Describe(string? path, string reason, long? offset)
    {
        string where = offset is null ? "" : $" (at byte {offset})";
        return path is null ? reason + where : $"'{path}' is not a valid GGUF file: {reason}{where}.";
    }
}
