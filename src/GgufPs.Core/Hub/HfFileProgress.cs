namespace GgufPs.Hub;

/// <summary>One file's counters, updated by the download threads and read by whoever shows progress.</summary>
public sealed class HfFileProgress
{
    private long _bytes;
    private int _state;

    internal HfFileProgress(string path, long size)
    {
        Path = path;
        Size = size;
    }

    public string Path { get; }

    public long Size { get; internal set; }

    public long Bytes => Interlocked.Read(ref _bytes);

    public HfFileState State
    {
        get => (HfFileState)Volatile.Read(ref _state);
        internal set => Volatile.Write(ref _state, (int)value);
    }

    internal void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    internal void Set(long bytes) => Interlocked.Exchange(ref _bytes, bytes);
}
