namespace GgufPs;

/// <summary>
/// An open GGUF model: one file, or a split set (<c>model-00001-of-00003.gguf</c> ...) named by any of its parts. A
/// set is validated and seen as one model: metadata from the first part, tensors from all parts in order. Every file
/// is reached through a read-only memory map, so nothing of the data is copied into managed memory until a caller
/// reads it; each tensor knows its part (<see cref="GgufTensorInfo.SplitIndex"/>).
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly GgufMappedFile[] _parts;
    private readonly GgufHeader _header;
    private readonly IReadOnlyList<GgufTensorInfo> _tensors;
    private Dictionary<string, GgufTensorInfo>? _byName;
    private bool _disposed;

    private GgufFile(GgufMappedFile[] parts)
    {
        _parts = parts;
        _header = parts[0].Header;
        _tensors = parts.Length == 1 ? _header.Tensors : parts.SelectMany(p => p.Header.Tensors).ToArray();
        Parts = parts.Select((p, i) => new GgufSplitPart(i, p.Path, p.FileSize, p.Header.Tensors.Count)).ToArray();
        FileSize = parts.Sum(p => p.FileSize);
    }

    /// <summary>
    /// Opens and validates a model: a single GGUF file, or the whole split set that <paramref name="path"/> is a part
    /// of. Throws <see cref="GgufFormatException"/> for a malformed file, <see cref="FileNotFoundException"/> for a
    /// missing part and <see cref="GgufSplitException"/> for parts that do not fit together.
    /// </summary>
    public static GgufFile Open(string path) => new(GgufSplitSetLoader.Load(System.IO.Path.GetFullPath(path)));

    /// <summary>Opens exactly this file, even when it is one part of a split set (its own metadata and tensors only).</summary>
    public static GgufFile OpenSingle(string path) => new([GgufMappedFile.Open(System.IO.Path.GetFullPath(path))]);

    /// <summary>Reads just the header of a model and returns its description; the files are closed again at once.</summary>
    public static GgufModelInfo ReadInfo(string path)
    {
        using var file = Open(path);
        return file.ToModelInfo();
    }

    /// <summary>The file, or the first part of a split set.</summary>
    public string Path => _parts[0].Path;

    /// <summary>Bytes on disk: the file's size, or the sum of the parts' sizes.</summary>
    public long FileSize { get; }

    /// <summary>The files of the model in split order: one for a single file.</summary>
    public IReadOnlyList<GgufSplitPart> Parts { get; }

    public int SplitCount => _parts.Length;

    public bool IsSplit => _parts.Length > 1;

    public uint Version => _header.Version;

    public uint Alignment => _header.Alignment;

    /// <summary>Where the tensor data section of the (first) file starts.</summary>
    public long DataOffset => _header.DataOffset;

    /// <summary>Bytes of magic, version, metadata and tensor infos of the (first) file, before the alignment padding.</summary>
    public long HeaderLength => _header.HeaderLength;

    public GgufMetadataCollection Metadata => _header.Metadata;

    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

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
        return GetTensorBytes(tensor, 0, (int)tensor.ByteSize);
    }

    /// <summary>The bytes of rows [firstRow, firstRow + rowCount) of a tensor.</summary>
    public ReadOnlySpan<byte> GetTensorRows(GgufTensorInfo tensor, long firstRow, int rowCount)
    {
        long rowBytes = GgmlTypeInfo.Get(tensor.Type).RowSize(tensor.RowLength);
        if (rowBytes <= 0 || firstRow < 0 || rowCount < 0 || firstRow + rowCount > tensor.RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow}..{firstRow + rowCount} are outside tensor '{tensor.Name}'.");
        }
        return GetTensorBytes(tensor, firstRow * rowBytes, checked((int)(rowCount * rowBytes)));
    }

    /// <summary>Bytes [offset, offset + length) of a tensor's data, read from the part that holds it.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor, long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > tensor.ByteSize - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + length} are outside tensor '{tensor.Name}'.");
        }
        return new ReadOnlySpan<byte>(PartOf(tensor).Pointer(tensor.FileOffset + offset, length), length);
    }

    /// <summary>
    /// A raw pointer to a tensor's data in the mapping of its part, for kernels that read it in place; the whole
    /// tensor is checked to lie inside that file. Valid until disposal.
    /// </summary>
    internal byte* TensorPointer(GgufTensorInfo tensor) => PartOf(tensor).Pointer(tensor.FileOffset, tensor.ByteSize);

    public GgufModelInfo ToModelInfo() => new(Path, FileSize, Version, Metadata, Tensors, Alignment, DataOffset, Parts);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var part in _parts)
        {
            part.Dispose();
        }
    }

    private GgufMappedFile PartOf(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var part = tensor.SplitIndex >= 0 && tensor.SplitIndex < _parts.Length ? _parts[tensor.SplitIndex] : null;
        if (part is null || !string.Equals(part.Path, tensor.FilePath, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to '{Path}'.", nameof(tensor));
        }
        return part;
    }
}
