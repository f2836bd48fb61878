namespace GgufPs;

/// <summary>One change to a model's metadata, as Set-GgufMetadata plans it.</summary>
public sealed record GgufMetadataChange(string Key, GgufMetadataChangeKind Kind, GgufValueType ValueType, string? OldValue, string? NewValue)
{
    /// <summary>True when llama.cpp needs the key to load the model, so a change deserves confirmation.</summary>
    public bool IsRequiredByLlamaCpp { get; init; }
}
