namespace GgufPs.HubStandIn;

/// <summary>The "gguf" object the Hub adds to a model's listing when the repository holds GGUF files.</summary>
public sealed record StandInGgufSummary(string Architecture, long ContextLength, long Total);
