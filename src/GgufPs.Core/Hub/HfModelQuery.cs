namespace GgufPs.Hub;

/// <summary>A model search: /api/models?search=&amp;author=&amp;filter=&amp;sort=&amp;limit=.</summary>
public sealed record HfModelQuery
{
    public string? Search { get; init; }

    public string? Author { get; init; }

    /// <summary>Tags every result must carry, such as gguf or text-generation.</summary>
    public IReadOnlyList<string> Filter { get; init; } = [];

    public HfModelSort? Sort { get; init; }

    /// <summary>At most this many results, or all when null.</summary>
    public int? First { get; init; }
}
