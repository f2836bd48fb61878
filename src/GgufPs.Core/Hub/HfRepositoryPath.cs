namespace GgufPs.Hub;

/// <summary>
/// Guards every path a Hub listing names before anything is written: relative, '/'-separated, no '.', '..' or empty
/// segment, no backslash, no drive letter, no NUL; and the combined path must stay inside the output folder.
/// </summary>
internal static class HfRepositoryPath
{
    public static bool IsSafe(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0') || path.Contains('\\') || path[0] == '/'
            || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
        {
            return false;
        }
        foreach (string segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The full local path of a repository path under <paramref name="root"/>; throws for an unsafe path.</summary>
    public static string Combine(string root, string path)
    {
        if (!IsSafe(path))
        {
            throw new HfUnsafePathException(path);
        }
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        string full = Path.GetFullPath(Path.Combine(fullRoot, path.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(fullRoot + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new HfUnsafePathException(path);
        }
        return full;
    }
}
