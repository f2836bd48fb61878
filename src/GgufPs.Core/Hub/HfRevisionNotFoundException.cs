namespace GgufPs.Hub;

/// <summary>The repository exists but has no such branch, tag or commit.</summary>
public sealed class HfRevisionNotFoundException(string repository, string revision, int? statusCode = null)
    : HfHubException($"Revision '{revision}' was not found in repository '{repository}': use a branch, a tag or a commit hash that exists.",
        statusCode, "RevisionNotFound")
{
    public string Repository { get; } = repository;

    public string Revision { get; } = revision;
}
