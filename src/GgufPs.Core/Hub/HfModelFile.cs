namespace GgufPs;

/// <summary>
/// One file of a Hub repository (Get-HfModelFile): its path, size, whether it is stored with LFS and then its SHA-256,
/// and for .gguf files the quantization type named in the file name. Pipes into Save-HfModel by Repository, Path and
/// CommitHash.
/// </summary>
public sealed class HfModelFile
{
    public required string Repository { get; init; }

    public required string Revision { get; init; }

    public required string CommitHash { get; init; }

    public required string Path { get; init; }

    public string Name => Path[(Path.LastIndexOf('/') + 1)..];

    public long Size { get; init; }

    public bool IsLfs { get; init; }

    /// <summary>The content's SHA-256 for LFS files (null for regular files, which git identifies by BlobId).</summary>
    public string? Sha256 { get; init; }

    public string? BlobId { get; init; }

    /// <summary>The quantization type in a .gguf file name, such as Q4_K_M; null for other files or unnamed types.</summary>
    public string? QuantizationType { get; init; }

    public override string ToString() => Path;
}
