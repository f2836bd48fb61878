using System.IO.MemoryMappedFiles;

namespace GgufPs;

/// <summary>
/// One GGUF file on disk, parsed and memory-mapped read-only: a whole model, or one part of a split set. Offsets
/// here are offsets in this file.
/// </summary>
internal sealed unsafe class GgufMappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private bool _disposed;

    private GgufMappedFile(string path, long fileSize, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, GgufHeader header)
    {
        Path = path;
        FileSize = fileSize;
        _map = map;
        _view = view;
        _base = basePointer;
        Header = header;
    }

    public string Path { get; }

    public long FileSize { get; }

    public GgufHeader Header { get; }

    /// <summary>Opens and validates one file; its tensors are tagged with <paramref name="splitIndex"/> and this path.</summary>
    public static GgufMappedFile Open(string fullPath, int splitIndex = 0)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.None);
        long length = stream.Length;
        if (length == 0)
        {
            throw new GgufFormatException(fullPath, "the file is empty");
        }
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;
            var span = new ReadOnlySpan<byte>(pointer, (int)Math.Min(length, int.MaxValue));
            var header = new GgufHeaderParser(span, length, fullPath).Parse();
            foreach (var tensor in header.Tensors)
            {
                tensor.SetPart(splitIndex, fullPath);
            }
            return new GgufMappedFile(fullPath, length, map, view, pointer, header);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>A pointer to <paramref name="length"/> bytes at <paramref name="offset"/>, checked against the file's size.</summary>
    public byte* Pointer(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || length < 0 || offset > FileSize - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + length} are outside '{Path}'.");
        }
        return _base + offset;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
