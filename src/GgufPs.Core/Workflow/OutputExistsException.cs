namespace GgufPs.Workflow;

/// <summary>A file the comparison would write already exists and replacing it was not allowed.</summary>
public sealed class OutputExistsException(string path)
    : IOException($"'{path}' already exists; use -Force to replace it.")
{
    public string Path { get; } = path;
}
