namespace GgufPs;

public enum GgufMetadataChangeKind
{
    Add,
    Change,
    Remove,
}
