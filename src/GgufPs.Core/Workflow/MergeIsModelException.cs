namespace GgufPs.Workflow;

/// <summary>A model given among the importance matrices to merge, which would add nothing to the merge.</summary>
public sealed class MergeIsModelException(string path) : ArgumentException($"'{path}' is the model, not an importance matrix.")
{
    public string Path { get; } = path;
}
