namespace GgufPs.Workflow;

/// <summary>Less free space where the files go than the work will write, found before anything is written.</summary>
public sealed class InsufficientSpaceException(string directory, long required, long available, string? advice = null)
    : IOException($"This needs {ByteSize.Format(required)} of free space in '{directory}', where {ByteSize.Format(available)} is free.{(advice is null ? "" : " " + advice)}")
{
    public string Directory { get; } = directory;

    public long RequiredBytes { get; } = required;

    public long AvailableBytes { get; } = available;
}
