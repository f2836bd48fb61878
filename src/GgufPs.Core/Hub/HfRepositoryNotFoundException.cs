namespace GgufPs.Hub;

/// <summary>The Hub does not show the repository: it does not exist, or it is private and the token cannot read it.</summary>
public sealed class HfRepositoryNotFoundException(string repository, Uri endpoint, int? statusCode = null)
    : HfHubException(
        $"Repository '{repository}' was not found on {endpoint.AbsoluteUri.TrimEnd('/')}. Check the name; if the repository is private, " +
        "set HF_TOKEN (or pass -Token) to a token that can read it.", statusCode, "RepoNotFound")
{
    public string Repository { get; } = repository;
}
