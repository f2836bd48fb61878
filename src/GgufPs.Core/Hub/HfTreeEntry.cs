namespace GgufPs.Hub;

/// <summary>
/// An entry of the tree API (/api/models/{repo}/tree/{rev}/{path}): a file with its size and git blob id, and for LFS
/// files the SHA-256 of the content; or a directory.
/// </summary>
public sealed record HfTreeEntry(string Path, bool IsDirectory, long Size, string Oid, string? LfsSha256);
