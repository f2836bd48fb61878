using System.Text.RegularExpressions;

namespace GgufPs.Hub;

/// <summary>
/// What a HEAD of a resolve URL tells (file_download.py's get_hf_file_metadata): the commit, the ETag (X-Linked-Etag
/// for LFS files, the SHA-256; else the git blob id), where to download from (the CDN's Location for LFS files), and
/// the size (X-Linked-Size, else Content-Length).
/// </summary>
public sealed partial record HfFileMetadata(string CommitHash, string ETag, Uri Location, long Size)
{
    /// <summary>An ETag of 64 hex digits is the content's SHA-256 (an LFS file), which the download is checked against.</summary>
    public bool IsSha256 => Sha256Pattern().IsMatch(ETag);

    /// <summary>As file_download.py's _normalize_etag: W/ and the quotes removed.</summary>
    internal static string NormalizeETag(string etag)
    {
        string value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }
        return value.Trim('"');
    }

    internal static bool IsSha256Hex(string value) => Sha256Pattern().IsMatch(value);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
