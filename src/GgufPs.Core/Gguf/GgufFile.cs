using System.IO.MemoryMappedFiles;

namespace GgufPs;

/// <summary>
/// An open GGUF file: its parsed header, and its tensor data reached through a read-only memory map, so nothing of
/// the data is copied into managed memory until a caller reads it.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly GgufHeader _header;
    private Dictionary<string, GgufTensorInfo>? _byName;
    private bool _disposed;

    private GgufFile(string path, long fileSize, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, GgufHeader header)
    {
        Path = path;
        FileSize = fileSize;
        _map = map;
        _view = view;
        _base = basePointer;
        _header = header;
    }

    /// <summary>Opens and validates a GGUF file. Throws <see cref="GgufFormatException"/> for anything malformed.</summary>
    public static GgufFile Open(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
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
            return new GgufFile(fullPath, length, map, view, pointer, header);
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

    /// <summary>Reads just the header of a file and returns its description; the file is closed again at once.</summary>
    public static GgufModelInfo ReadInfo(string path)
    {
        using var file = Open(path);
        return file.ToModelInfo();
    }

    public string Path { get; }

    public long FileSize { get; }

    public uint Version => _header.Version;

    public uint Alignment => _header.Alignment;

    /// <summary>Where the tensor data section starts.</summary>
    public long DataOffset => _header.DataOffset;

    /// <summary>Bytes of magic, version, metadata and tensor infos, before the alignment padding.</summary>
    public long HeaderLength => _header.HeaderLength;

    public GgufMetadataCollection Metadata => _header.Metadata;

    public IReadOnlyList<GgufTensorInfo> Tensors => _header.Tensors;

    public string? Architecture => Metadata.GetString("general.architecture");

    public GgufTensorInfo? FindTensor(string name)
    {
        _byName ??= Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return _byName.GetValueOrDefault(name);
    }

    /// <summary>A tensor's bytes; for tensors of 2 GiB or more use <see cref="GetTensorRows"/>.</summary>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue)
        {
            throw new InvalidOperationException($"Tensor '{tensor.Name}' is {tensor.ByteSize} bytes; read it in rows.");
        }
        return GetBytes(tensor.FileOffset, (int)tensor.ByteSize);
    }

    /// <summary>The bytes of rows [firstRow, firstRow + rowCount) of a tensor.</summary>
    public ReadOnlySpan<byte> GetTensorRows(GgufTensorInfo tensor, long firstRow, int rowCount)
    {
        long rowBytes = GgmlTypeInfo.Get(tensor.Type).RowSize(tensor.RowLength);
        if (rowBytes <= 0 || firstRow < 0 || rowCount < 0 || firstRow + rowCount > tensor.RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow}..{firstRow + rowCount} are outside tensor '{tensor.Name}'.");
        }
        return GetBytes(tensor.FileOffset + firstRow * rowBytes, checked((int)(rowCount * rowBytes)));
    }

    /// <summary>Any byte range of the file.</summary>
    public ReadOnlySpan<byte> GetBytes(long fileOffset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (fileOffset < 0 || length < 0 || fileOffset > FileSize - length)
        {
            throw new ArgumentOutOfRangeException(nameof(fileOffset), $"Bytes {fileOffset}..{fileOffset + length} are outside the file.");
        }
        return new ReadOnlySpan<byte>(_base + fileOffset, length);
    }

    /// <summary>A raw pointer to the mapped file for kernels that read across tensors; valid until disposal.</summary>
    public byte* BasePointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _base;
        }
    }

    public GgufModelInfo ToModelInfo() => new(Path, FileSize, Version, Metadata, Tensors, Alignment, DataOffset);

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
