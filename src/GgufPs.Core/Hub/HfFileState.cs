namespace GgufPs.Hub;

/// <summary>Where one file of a download stands.</summary>
public enum HfFileState
{
    Waiting,
    Downloading,
    Verifying,
    Done,
    Skipped,
    Failed,
}
