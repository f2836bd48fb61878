namespace GgufPs.Hub;

/// <summary>A downloaded file's SHA-256 (or size) differs from what the Hub announced; nothing of it was kept.</summary>
public sealed class HfIntegrityException(string path, string message) : HfHubException(message)
{
    /// <summary>The file's path in the repository.</summary>
    public string Path { get; } = path;
}
