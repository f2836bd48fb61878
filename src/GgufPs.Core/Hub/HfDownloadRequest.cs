namespace GgufPs.Hub;

/// <summary>What Save-HfModel asks for: a repository at a revision, all files or some (by name or by glob), and where.</summary>
public sealed record HfDownloadRequest
{
    public required string Repository { get; init; }

    public string Revision { get; init; } = "main";

    /// <summary>These files only (repository paths); null for every file that the globs select.</summary>
    public IReadOnlyList<string>? Files { get; init; }

    public IReadOnlyList<string> Include { get; init; } = [];

    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>The --local-dir folder, or null for the shared cache.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Download again even when the file is present.</summary>
    public bool Force { get; init; }
}
