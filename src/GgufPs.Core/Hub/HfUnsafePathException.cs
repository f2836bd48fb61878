namespace GgufPs.Hub;

/// <summary>A path listed by the Hub would land outside the output folder ('..', absolute, a drive letter).</summary>
public sealed class HfUnsafePathException(string path)
    : HfHubException($"The repository lists '{path}', which would be written outside the output folder; it was refused.")
{
    public string Path { get; } = path;
}
