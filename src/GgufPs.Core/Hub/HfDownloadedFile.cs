namespace GgufPs.Hub;

/// <summary>The outcome for one file: where it is, or why it failed.</summary>
public sealed record HfDownloadedFile(string Path, string LocalPath, Exception? Error);
