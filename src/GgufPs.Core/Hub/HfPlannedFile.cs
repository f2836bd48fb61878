namespace GgufPs.Hub;

/// <summary>One file a download will fetch or skip: its repository path, size and hash, and where it goes.</summary>
public sealed record HfPlannedFile(string Path, long Size, bool IsLfs, string? ETag, string LocalPath, bool IsPresent);
