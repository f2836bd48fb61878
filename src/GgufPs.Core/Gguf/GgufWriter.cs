namespace GgufPs;

/// <summary>
/// Writes a GGUF v3 file as a stream: header first, then each tensor's data in order, padded to the alignment as
/// ggml's writer pads it. The bytes go to <c>&lt;target&gt;.tmp-&lt;random&gt;</c> beside the target, which is renamed to the
/// target only by <see cref="Commit"/>; disposing without committing deletes it and leaves the target untouched.
/// </summary>
public sealed class GgufWriter : IDisposable
{
    private const long WritebackInterval = 64L << 20;

    private readonly bool _overwrite;
    private FileStream? _stream;
    private GgufBinaryWriter? _writer;
    private IReadOnlyList<GgufTensorDescriptor> _tensors = Array.Empty<GgufTensorDescriptor>();
    private long _alignment = GgufLayout.DefaultAlignment;
    private long _dataStart;
    private int _tensorIndex;
    private long _tensorWritten;
    private bool _headerWritten;
    private bool _committed;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
    private Task? _writeback;
    private long _writebackPosition;

    public GgufWriter(string targetPath, bool overwrite = false)
    {
        TargetPath = Path.GetFullPath(targetPath);
        _overwrite = overwrite;
        if (!overwrite && File.Exists(TargetPath))
        {
            throw new IOException($"'{TargetPath}' already exists.");
        }
        string directory = Path.GetDirectoryName(TargetPath)!;
        TemporaryPath = Path.Combine(directory, Path.GetFileName(TargetPath) + ".tmp-" + Path.GetRandomFileName().Replace(".", ""));
        _stream = new FileStream(TemporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        _handle = _stream.SafeFileHandle;
        _writer = new GgufBinaryWriter(_stream);
    }

    public string TargetPath { get; }

    /// <summary>Where the bytes go until <see cref="Commit"/>.</summary>
    public string TemporaryPath { get; }

    /// <summary>Bytes written so far, padding included.</summary>
    public long BytesWritten => _writer?.Position ?? 0;

    /// <summary>The file size the header and tensors will produce.</summary>
    public static long PredictSize(IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<GgufTensorDescriptor> tensors, uint version = 3,
        bool alignEmptyData = false)
    {
        using var counter = new ByteCountingStream();
        var w = new GgufBinaryWriter(counter);
        long alignment = AlignmentOf(metadata);
        WriteHeaderTo(w, metadata, tensors, version, alignment);
        long size = tensors.Count == 0 && !alignEmptyData ? w.Position : GgufLayout.Align(w.Position, alignment);
        foreach (var t in tensors)
        {
            size += GgufLayout.Align(t.ByteSize, alignment);
        }
        return size;
    }

    /// <summary>
    /// Writes the header. A file without tensors ends right after it, as gguf-py writes vocab-only files, unless
    /// <paramref name="alignEmptyData"/> pads it to the alignment as ggml's gguf writer always does.
    /// </summary>
    public void WriteHeader(IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<GgufTensorDescriptor> tensors, uint version = 3,
        bool alignEmptyData = false)
    {
        var w = Writer();
        if (_headerWritten)
        {
            throw new InvalidOperationException("The header has already been written.");
        }
        _alignment = AlignmentOf(metadata);
        _tensors = tensors;
        WriteHeaderTo(w, metadata, tensors, version, _alignment);
        if (tensors.Count > 0 || alignEmptyData)
        {
            w.Pad(_alignment);
        }
        _dataStart = w.Position;
        _headerWritten = true;
    }

    /// <summary>Appends data to the current tensor; a tensor may arrive in several pieces, which must not cross into the next.</summary>
    public void WriteTensorData(ReadOnlySpan<byte> data)
    {
        var w = Writer();
        if (!_headerWritten)
        {
            throw new InvalidOperationException("Write the header before tensor data.");
        }
        while (data.Length > 0)
        {
            if (_tensorIndex >= _tensors.Count)
            {
                throw new InvalidOperationException("More tensor data than the header announced.");
            }
            var tensor = _tensors[_tensorIndex];
            long left = tensor.ByteSize - _tensorWritten;
            if (data.Length > left)
            {
                throw new InvalidOperationException($"Tensor '{tensor.Name}' takes {tensor.ByteSize} bytes; the data given runs past it.");
            }
            w.WriteBytes(data);
            _tensorWritten += data.Length;
            data = default;
            SkipFinishedTensors(w);
        }
        StartWriteback(w.Position);
    }

    /// <summary>
    /// Starts flushing what the page cache holds of the file every <see cref="WritebackInterval"/> bytes, on another
    /// thread, so that the disk writes while the next tensors are made and the fsync of <see cref="Commit"/> finds
    /// little left to do.
    /// </summary>
    private void StartWriteback(long position)
    {
        if (position - _writebackPosition < WritebackInterval || _writeback is { IsCompleted: false })
        {
            return;
        }
        _writeback?.GetAwaiter().GetResult();
        _writebackPosition = position;
        _writeback = Task.Run(() => RandomAccess.FlushToDisk(_handle));
    }

    /// <summary>Finishes the file and renames it to the target.</summary>
    public void Commit()
    {
        var w = Writer();
        if (!_headerWritten)
        {
            throw new InvalidOperationException("Nothing has been written.");
        }
        SkipFinishedTensors(w);
        if (_tensorIndex < _tensors.Count)
        {
            throw new InvalidOperationException($"Tensor '{_tensors[_tensorIndex].Name}' has not been written in full.");
        }
        _writeback?.GetAwaiter().GetResult();
        _stream!.Flush(flushToDisk: true);
        _stream.Dispose();
        _stream = null;
        _writer = null;
        File.Move(TemporaryPath, TargetPath, _overwrite);
        _committed = true;
    }

    public void Dispose()
    {
        try
        {
            _writeback?.Wait();
        }
        catch (AggregateException)
        {
            // A failed background flush matters only to Commit, which rethrows it; an abandoned file is deleted below.
        }
        try
        {
            _stream?.Dispose();
        }
        catch (IOException) when (!_committed)
        {
            // Flushing an abandoned file failed (a full disk): it is deleted below all the same.
        }
        _stream = null;
        _writer = null;
        if (!_committed)
        {
            try
            {
                File.Delete(TemporaryPath);
            }
            catch (IOException)
            {
                // The temp file is left behind only when the OS refuses to delete it; the target is untouched either way.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    // Zero-sized tensors are complete before any byte arrives, so completion is checked in a loop.
    private void SkipFinishedTensors(GgufBinaryWriter w)
    {
        while (_tensorIndex < _tensors.Count && _tensorWritten == _tensors[_tensorIndex].ByteSize)
        {
            w.Pad(_alignment);
            _tensorIndex++;
            _tensorWritten = 0;
        }
    }

    private GgufBinaryWriter Writer() =>
        _writer ?? throw new ObjectDisposedException(nameof(GgufWriter), "The writer has been committed or disposed.");

    private static long AlignmentOf(IReadOnlyList<GgufMetadataEntry> metadata)
    {
        var entry = metadata.FirstOrDefault(e => e.Key == GgufLayout.AlignmentKey);
        if (entry is null)
        {
            return GgufLayout.DefaultAlignment;
        }
        if (entry.ValueType != GgufValueType.UInt32 || entry.Value is not uint a || a == 0 || (a & (a - 1)) != 0)
        {
            throw new ArgumentException($"{GgufLayout.AlignmentKey} must be a u32 power of two.");
        }
        return a;
    }

    private static void WriteHeaderTo(GgufBinaryWriter w, IReadOnlyList<GgufMetadataEntry> metadata,
        IReadOnlyList<GgufTensorDescriptor> tensors, uint version, long alignment)
    {
        if (version is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(version), "Only GGUF versions 2 and 3 can be written.");
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in metadata)
        {
            if (!keys.Add(e.Key))
            {
                throw new ArgumentException($"The metadata key '{e.Key}' appears twice.");
            }
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!names.Add(t.Name))
            {
                throw new ArgumentException($"The tensor name '{t.Name}' appears twice.");
            }
        }

        w.WriteUInt32(GgufLayout.Magic);
        w.WriteUInt32(version);
        w.WriteUInt64((ulong)tensors.Count);
        w.WriteUInt64((ulong)metadata.Count);
        foreach (var e in metadata)
        {
            w.WriteString(e.Key);
            w.WriteUInt32((uint)e.ValueType);
            if (e.HasEncodedValue)
            {
                w.WriteBytes(e.EncodedValue);
            }
            else
            {
                GgufValueCodec.Encode(e.ValueType, e.Value, w);
            }
        }
        long offset = 0;
        foreach (var t in tensors)
        {
            w.WriteString(t.Name);
            w.WriteUInt32((uint)t.Shape.Length);
            foreach (long ne in t.Shape)
            {
                w.WriteUInt64((ulong)ne);
            }
            w.WriteUInt32((uint)t.Type);
            w.WriteUInt64((ulong)offset);
            offset += GgufLayout.Align(t.ByteSize, alignment);
        }
    }
}
