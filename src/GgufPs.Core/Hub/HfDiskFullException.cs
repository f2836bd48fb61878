namespace GgufPs.Hub;

/// <summary>The disk filled while downloading; the partial file was deleted.</summary>
public sealed class HfDiskFullException(string path, string folder, long size, Exception inner)
    : IOException($"The disk is full: '{path}' ({size:N0} bytes) could not be written to '{folder}'. The partial file was deleted; free some space and run again.", inner)
{
    public string Path { get; } = path;
}
