using System.Collections.ObjectModel;
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>
/// Resolves -Path (with wildcards) and -LiteralPath arguments to file-system paths the way the built-in cmdlets do,
/// reporting what cannot be resolved as non-terminating ObjectNotFound errors.
/// </summary>
internal static class FileSystemPathResolver
{
    public static IEnumerable<string> ResolveExistingFiles(PSCmdlet cmdlet, string[] paths, bool literal)
    {
        foreach (string path in paths)
        {
            foreach (string resolved in Resolve(cmdlet, path, literal))
            {
                if (CheckExistingFile(cmdlet, resolved))
                {
                    yield return resolved;
                }
            }
        }
    }

    /// <summary>True for an existing file; a folder or a missing path is reported as an error.</summary>
    public static bool CheckExistingFile(PSCmdlet cmdlet, string path)
    {
        if (Directory.Exists(path))
        {
            cmdlet.WriteError(ErrorCatalog.NotAFile(path));
            return false;
        }
        if (!File.Exists(path))
        {
            cmdlet.WriteError(ErrorCatalog.FileNotFound(path));
            return false;
        }
        return true;
    }

    /// <summary>The resolved path of an existing file, or null when it is not one (reported as an error).</summary>
    public static string? ResolveExistingFile(PSCmdlet cmdlet, string path)
    {
        string resolved = ResolveOutput(cmdlet, path);
        return CheckExistingFile(cmdlet, resolved) ? resolved : null;
    }

    /// <summary>The bytes of an input file such as -TextPath, or null when it is not a file (reported as an error).</summary>
    public static byte[]? ReadInputFile(PSCmdlet cmdlet, string path)
    {
        string resolved = ResolveOutput(cmdlet, path);
        return CheckExistingFile(cmdlet, resolved) ? File.ReadAllBytes(resolved) : null;
    }

    /// <summary>A path for a file that may not exist yet (an output), relative to the current location.</summary>
    public static string ResolveOutput(PSCmdlet cmdlet, string path) =>
        cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary><see cref="ResolveOutput"/> for an optional path: null when not given.</summary>
    public static string? ResolveOptionalOutput(PSCmdlet cmdlet, string? path) =>
        path is null ? null : ResolveOutput(cmdlet, path);

    private static IEnumerable<string> Resolve(PSCmdlet cmdlet, string path, bool literal)
    {
        string unresolved;
        try
        {
            unresolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException)
        {
            cmdlet.WriteError(ErrorCatalog.Record(ex, path));
            yield break;
        }
        // A path that names an existing file is taken as it is, even outside -LiteralPath, so names with [ ] work.
        if (literal || !WildcardPattern.ContainsWildcardCharacters(path) || File.Exists(unresolved))
        {
            yield return unresolved;
            yield break;
        }
        Collection<string>? matches = null;
        ErrorRecord? failure = null;
        try
        {
            matches = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _);
        }
        catch (ItemNotFoundException ex)
        {
            failure = ErrorCatalog.Record(ex, path);
        }
        if (failure is not null || matches is null || matches.Count == 0)
        {
            cmdlet.WriteError(failure ?? ErrorCatalog.FileNotFound(path));
            yield break;
        }
        foreach (string match in matches)
        {
            yield return match;
        }
    }
}
