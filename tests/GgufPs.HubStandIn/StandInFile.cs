using System.Security.Cryptography;
using System.Text;

namespace GgufPs.HubStandIn;

/// <summary>
/// One file of a repository revision: its bytes (in memory or on disk), whether the Hub stores it with Git LFS, and
/// the identifiers the Hub derives from it (the git blob id, and for LFS files the SHA-256 and the pointer file).
/// </summary>
public sealed class StandInFile
{
    private readonly byte[]? _content;
    private readonly string? _sourcePath;
    private string? _sha256;
    private string? _blobId;

    private StandInFile(string path, bool isLfs, long size, byte[]? content, string? sourcePath, string? sha256)
    {
        Path = path;
        IsLfs = isLfs;
        Size = size;
        _content = content;
        _sourcePath = sourcePath;
        _sha256 = sha256;
    }

    /// <summary>The path in the repository, with '/' separators (listed as given, even when it is unsafe).</summary>
    public string Path { get; }

    public bool IsLfs { get; }

    public long Size { get; }

    /// <summary>The file on disk that holds the bytes, or null when they are in memory.</summary>
    public string? SourcePath => _sourcePath;

    public static StandInFile FromBytes(string path, byte[] content, bool isLfs = false) =>
        new(path, isLfs, content.LongLength, content, null, null);

    public static StandInFile FromText(string path, string text) => FromBytes(path, Encoding.UTF8.GetBytes(text));

    /// <param name="sha256">The content's SHA-256 when the caller knows it, to spare hashing a large file.</param>
    public static StandInFile FromDisk(string path, string sourcePath, bool isLfs, string? sha256 = null) =>
        new(path, isLfs, new FileInfo(sourcePath).Length, null, sourcePath, sha256);

    /// <summary>Lower-case hex SHA-256 of the content: the LFS object id, X-Linked-Etag and the cache's blob name.</summary>
    public string Sha256 => _sha256 ??= ComputeSha256();

    /// <summary>The git LFS pointer file that git stores in place of an LFS file.</summary>
    public string PointerText => $"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Size}\n";

    /// <summary>
    /// The git blob id (SHA-1 of "blob {size}\0" and the bytes): the ETag of a regular file. For an LFS file it is the
    /// id of the pointer file, as git stores the pointer.
    /// </summary>
    public string BlobId => _blobId ??= IsLfs ? GitBlobId(Encoding.UTF8.GetBytes(PointerText)) : GitBlobId(ReadAll());

    public Stream OpenRead() => _content is not null
        ? new MemoryStream(_content, writable: false)
        : new FileStream(_sourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);

    private byte[] ReadAll() => _content ?? File.ReadAllBytes(_sourcePath!);

    private string ComputeSha256()
    {
        using var stream = OpenRead();
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string GitBlobId(byte[] content)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {content.Length}\0"));
        sha1.AppendData(content);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }
}
