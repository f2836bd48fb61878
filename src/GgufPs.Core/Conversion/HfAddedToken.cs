namespace GgufPs.Conversion;

/// <summary>An entry of tokenizer.json's "added_tokens".</summary>
internal sealed record HfAddedToken(int Id, string Content, bool Special, bool Normalized);
