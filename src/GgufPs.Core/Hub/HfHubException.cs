namespace GgufPs.Hub;

/// <summary>A failed exchange with the Hub: the HTTP status, the Hub's X-Error-Code and the address, when known.</summary>
public class HfHubException : IOException
{
    public HfHubException(string message, int? statusCode = null, string? errorCode = null, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    public int? StatusCode { get; }

    /// <summary>The Hub's X-Error-Code header (RepoNotFound, GatedRepo, EntryNotFound, RevisionNotFound), if any.</summary>
    public string? ErrorCode { get; }
}
