namespace GgufPs.Workflow;

/// <summary>An output path that names one of the inputs, which are never modified.</summary>
public sealed class OutputIsInputException(string path, string message) : ArgumentException(message)
{
    public string Path { get; } = path;
}
