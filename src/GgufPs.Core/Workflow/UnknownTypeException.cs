namespace GgufPs.Workflow;

/// <summary>A type name (a quantization type, a tensor type) that is not one of those accepted; the message lists them.</summary>
public sealed class UnknownTypeException : ArgumentException
{
    public UnknownTypeException(string name, string message)
        : base(message)
    {
        Name = name;
    }

    /// <summary>The name as it was given.</summary>
    public string Name { get; }
}
