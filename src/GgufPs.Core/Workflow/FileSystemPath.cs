namespace GgufPs.Workflow;

/// <summary>
/// Whether two paths name the same file, as the platform's file system sees it: Windows and macOS (APFS and HFS+ as
/// they ship) ignore case, Linux does not. Both paths are made absolute first, so "dir/../m.gguf" and "./m.gguf" match.
/// </summary>
public static class FileSystemPath
{
    private static readonly bool IgnoresCase = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();

    /// <summary>Compares path strings as the file system does.</summary>
    public static StringComparer Comparer { get; } = IgnoresCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    public static bool AreSame(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Comparer.Equals(Normalize(a), Normalize(b));
    }

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
