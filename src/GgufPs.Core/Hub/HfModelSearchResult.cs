namespace GgufPs;

/// <summary>One model that Find-HfModel found: the Hub's listing fields and, for GGUF repositories, the GGUF summary.</summary>
public sealed class HfModelSearchResult
{
    public required string Id { get; init; }

    public string? Author { get; init; }

    public long Downloads { get; init; }

    public long Likes { get; init; }

    public DateTimeOffset? LastModified { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Whether downloads need an accepted licence (the Hub's "auto" or "manual" approval).</summary>
    public bool Gated { get; init; }

    public string? PipelineTag { get; init; }

    public string? LibraryName { get; init; }

    /// <summary>From the Hub's GGUF summary: general.architecture.</summary>
    public string? Architecture { get; init; }

    /// <summary>From the Hub's GGUF summary: the context length.</summary>
    public long? ContextLength { get; init; }

    /// <summary>From the Hub's GGUF summary: the total parameter count.</summary>
    public long? Parameters { get; init; }

    public override string ToString() => Id;
}
