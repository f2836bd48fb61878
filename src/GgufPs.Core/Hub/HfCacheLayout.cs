using System.Text;
using System.Text.RegularExpressions;

namespace GgufPs.Hub;

/// <summary>
/// huggingface_hub's shared cache for one model repository (file_download.py's hf_hub_download):
/// <code>
/// {cache}/models--owner--name/blobs/{etag}                 the content, named by git blob id or LFS SHA-256
///                            /blobs/{etag}.incomplete      while it downloads
///                            /snapshots/{commit}/{path}    a relative symlink to ../../blobs/{etag} (one ../ more
///                                                          per folder level), or the file itself without symlinks
///                            /refs/{revision}              the commit hash, no newline
///                            /.no_exist/{commit}/{path}    an empty file: the Hub said the file does not exist
/// {cache}/.locks/models--owner--name/{etag}.lock           the lock held while a blob is written
/// </code>
/// </summary>
internal sealed partial class HfCacheLayout
{
    public HfCacheLayout(string cacheDirectory, string repository)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        Repository = repository;
        StorageFolder = Path.Combine(CacheDirectory, HfRepositoryId.CacheFolderName(repository));
    }

    public string CacheDirectory { get; }

    public string Repository { get; }

    public string StorageFolder { get; }

    public string BlobPath(string etag) => Path.Combine(StorageFolder, "blobs", CheckName(etag));

    public string IncompleteBlobPath(string etag) => BlobPath(etag) + ".incomplete";

    public string LockPath(string etag) => Path.Combine(CacheDirectory, ".locks", HfRepositoryId.CacheFolderName(Repository), CheckName(etag) + ".lock");

    public string SnapshotFolder(string commit) => Path.Combine(StorageFolder, "snapshots", CheckCommit(commit));

    /// <summary>Where a file of a commit appears in the snapshot (throws for a path that would leave it).</summary>
    public string PointerPath(string commit, string path) => HfRepositoryPath.Combine(SnapshotFolder(commit), path);

    public string NoExistPath(string commit, string path) => HfRepositoryPath.Combine(Path.Combine(StorageFolder, ".no_exist", CheckCommit(commit)), path);

    public string RefPath(string revision) => HfRepositoryPath.Combine(Path.Combine(StorageFolder, "refs"), revision);

    /// <summary>The commit a branch or tag name was last seen at, or the revision itself when it is a commit hash.</summary>
    public string? ResolveRevision(string revision)
    {
        if (IsCommitHash(revision))
        {
            return revision;
        }
        string refPath = RefPath(revision);
        return File.Exists(refPath) ? File.ReadAllText(refPath) : null;
    }

    /// <summary>refs/{revision} = commit, written only when it changes, and never for a commit hash (as huggingface_hub).</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit)
        {
            return;
        }
        string refPath = RefPath(revision);
        if (File.Exists(refPath) && File.ReadAllText(refPath) == commit)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        File.WriteAllBytes(refPath, Encoding.UTF8.GetBytes(commit));
    }

    /// <summary>
    /// Makes the snapshot entry point at the blob: a symlink by the relative path from the pointer's folder (as
    /// _create_symlink), or where symlinks are not allowed, the blob moved there (a new blob) or copied (one that other
    /// snapshots may share).
    /// </summary>
    public static void LinkPointer(string blobPath, string pointerPath, bool newBlob)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(pointerPath)!);
        if (File.Exists(pointerPath) || new FileInfo(pointerPath).LinkTarget is not null)
        {
            File.Delete(pointerPath);
        }
        string relative = Path.GetRelativePath(Path.GetDirectoryName(pointerPath)!, blobPath);
        try
        {
            File.CreateSymbolicLink(pointerPath, relative);
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // Windows without developer mode or administrator rights, or a file system without symlinks.
        }
        if (newBlob)
        {
            File.Move(blobPath, pointerPath);
        }
        else
        {
            File.Copy(blobPath, pointerPath);
        }
    }

    /// <summary>Records that the Hub has no such file at this commit, as huggingface_hub does for later offline runs.</summary>
    public void MarkMissing(string commit, string path)
    {
        try
        {
            string marker = NoExistPath(commit, path);
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            File.WriteAllBytes(marker, []);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HfUnsafePathException)
        {
            // Only a hint for later runs: huggingface_hub also ignores failures here.
        }
    }

    public static bool IsCommitHash(string revision) => CommitPattern().IsMatch(revision);

    private static string CheckCommit(string commit) =>
        IsCommitHash(commit) ? commit : throw new HfHubException($"'{commit}' is not a commit hash.");

    private static string CheckName(string etag) =>
        etag.Length > 0 && etag.All(char.IsAsciiLetterOrDigit) ? etag : throw new HfHubException($"The Hub sent an ETag '{etag}' that cannot name a cache file.");

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
