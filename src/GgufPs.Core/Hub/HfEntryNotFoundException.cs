namespace GgufPs.Hub;

/// <summary>The repository and revision exist but hold no such file.</summary>
public sealed class HfEntryNotFoundException(string repository, string revision, string path, int? statusCode = null)
    : HfHubException($"'{path}' was not found in repository '{repository}' at revision '{revision}'.", statusCode, "EntryNotFound")
{
    public string Repository { get; } = repository;

    public string Path { get; } = path;
}
