namespace GgufPs.Hub;

/// <summary>A moment of a transfer: bytes so far of the total, the recent rate, and the time left at that rate.</summary>
public sealed record HfTransferSample(string Name, long Bytes, long Total, double BytesPerSecond, TimeSpan? Remaining, HfFileState State)
{
    public int PercentComplete => Total <= 0 ? 0 : (int)Math.Clamp(Bytes * 100 / Total, 0, 100);
}
