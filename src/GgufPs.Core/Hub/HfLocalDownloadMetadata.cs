namespace GgufPs.Hub;

/// <summary>One .metadata file of a local folder: the commit and ETag a file was downloaded at, and when (Unix seconds).</summary>
internal sealed record HfLocalDownloadMetadata(string CommitHash, string ETag, double Timestamp);
