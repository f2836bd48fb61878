namespace GgufPs.Hub;

/// <summary>A file as the revision API lists it: its path, and with blobs=true its size, blob id and LFS hash.</summary>
public sealed record HfRepositorySibling(string Path, long? Size, string? BlobId, string? LfsSha256);
