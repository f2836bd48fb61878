namespace GgufPs.Hub;

/// <summary>The repository is gated and this token (or no token) has not been granted access.</summary>
public sealed class HfGatedRepositoryException(string repository, Uri endpoint, int? statusCode = null)
    : HfHubException(
        $"Repository '{repository}' is gated. Accept its licence on the model page ({new Uri(endpoint, repository).AbsoluteUri}) " +
        "and set HF_TOKEN (or pass -Token) to a token of the account that accepted it.", statusCode, "GatedRepo")
{
    public string Repository { get; } = repository;
}
