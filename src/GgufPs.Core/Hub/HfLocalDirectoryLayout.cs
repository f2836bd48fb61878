using System.Globalization;
using System.Text;

namespace GgufPs.Hub;

/// <summary>
/// huggingface_hub's --local-dir layout (_local_folder.py): files at their repository paths, and beside them
/// <code>
/// {dir}/.cache/huggingface/.gitignore                          "*"
/// {dir}/.cache/huggingface/download/{path}.metadata            "{commit}\n{etag}\n{time.time()}\n"
/// {dir}/.cache/huggingface/download/{path}.lock                the lock held while the file is written
/// {dir}/.cache/huggingface/download/{path}.{etag}.incomplete   while it downloads
/// </code>
/// A file counts as downloaded when its metadata exists and the file was not modified after it (st_mtime - 1 &lt;=
/// timestamp), so re-runs skip complete files and see edited ones.
/// </summary>
internal sealed class HfLocalDirectoryLayout
{
    public HfLocalDirectoryLayout(string localDirectory)
    {
        Root = Path.GetFullPath(localDirectory);
        HuggingFaceFolder = Path.Combine(Root, ".cache", "huggingface");
    }

    public string Root { get; }

    public string HuggingFaceFolder { get; }

    public string FilePath(string path) => HfRepositoryPath.Combine(Root, path);

    public string MetadataPath(string path) => HfRepositoryPath.Combine(Path.Combine(HuggingFaceFolder, "download"), path) + ".metadata";

    /// <summary>The metadata path with its last suffix replaced, as pathlib's with_suffix(".lock").</summary>
    public string LockPath(string path) => HfRepositoryPath.Combine(Path.Combine(HuggingFaceFolder, "download"), path) + ".lock";

    /// <summary>metadata_path.with_suffix(f".{etag}.incomplete").</summary>
    public string IncompletePath(string path, string etag) => HfRepositoryPath.Combine(Path.Combine(HuggingFaceFolder, "download"), path) + "." + etag + ".incomplete";

    /// <summary>The metadata of a file, or null when there is none, it is unreadable (then it is deleted, as huggingface_hub does),
    /// the file is gone, or the file changed after the metadata was written.</summary>
    public HfLocalDownloadMetadata? ReadMetadata(string path)
    {
        string metadataPath = MetadataPath(path);
        if (!File.Exists(metadataPath))
        {
            return null;
        }
        HfLocalDownloadMetadata metadata;
        try
        {
            string[] lines = File.ReadAllText(metadataPath).Split('\n');
            metadata = new HfLocalDownloadMetadata(lines[0].Trim(), lines[1].Trim(), double.Parse(lines[2].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or IOException)
        {
            TryDelete(metadataPath);
            return null;
        }
        var file = new FileInfo(FilePath(path));
        if (!file.Exists)
        {
            return null;
        }
        double modified = (file.LastWriteTimeUtc - DateTime.UnixEpoch).TotalSeconds;
        return modified - 1 <= metadata.Timestamp ? metadata : null;
    }

    public void WriteMetadata(string path, string commit, string etag)
    {
        EnsureGitIgnore();
        string metadataPath = MetadataPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(metadataPath)!);
        double now = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        File.WriteAllBytes(metadataPath, Encoding.UTF8.GetBytes($"{commit}\n{etag}\n{PythonFloat(now)}\n"));
    }

    /// <summary>The .gitignore ("*", no newline) that keeps .cache/huggingface out of git, written once.</summary>
    public void EnsureGitIgnore()
    {
        Directory.CreateDirectory(HuggingFaceFolder);
        string gitignore = Path.Combine(HuggingFaceFolder, ".gitignore");
        if (!File.Exists(gitignore))
        {
            try
            {
                File.WriteAllBytes(gitignore, "*"u8.ToArray());
            }
            catch (IOException)
            {
                // Written by a concurrent run.
            }
        }
    }

    /// <summary>Python's str(float): the shortest digits that round-trip, with ".0" on whole numbers.</summary>
    internal static string PythonFloat(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
