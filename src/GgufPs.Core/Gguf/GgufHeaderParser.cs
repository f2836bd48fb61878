using System.Buffers.Binary;
using System.Text;

namespace GgufPs;

/// <summary>
/// Parses a GGUF header (magic, version, metadata, tensor infos) from the start of a file, checking every count and
/// length against the bytes that remain, so a lying header fails with a <see cref="GgufFormatException"/> instead of
/// allocating or looping beyond the file's size.
/// </summary>
internal ref struct GgufHeaderParser
{
    // Smallest encodings, used to reject counts that cannot possibly fit in the remaining bytes.
    private const int MinKeyValueSize = 8 + 4 + 1;
    private const int MinTensorInfoSize = 8 + 4 + 4 + 8;
    private const int MaxArrayNesting = 16;

    private readonly ReadOnlySpan<byte> _data;
    private readonly long _fileLength;
    private readonly string? _path;
    private int _pos;

    public GgufHeaderParser(ReadOnlySpan<byte> data, long fileLength, string? path)
    {
        _data = data;
        _fileLength = fileLength;
        _path = path;
        _pos = 0;
    }

    public GgufHeader Parse()
    {
        if (_fileLength == 0)
        {
            throw Fail("the file is empty");
        }
        if (_data.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(_data) != GgufLayout.Magic)
        {
            throw Fail("it does not start with the GGUF magic bytes", 0);
        }
        _pos = 4;
        uint version = ReadUInt32("the version");
        if (version is not (2 or 3))
        {
            uint swapped = BinaryPrimitives.ReverseEndianness(version);
            if (swapped is 1 or 2 or 3)
            {
                throw Fail("big-endian GGUF is not supported", 4);
            }
            if (version == 1)
            {
                throw Fail("GGUF version 1 is not supported; convert it with a current llama.cpp", 4);
            }
            throw Fail($"unknown GGUF version {version}", 4);
        }

        long tensorCount = ReadCount("the tensor count", MinTensorInfoSize);
        long kvCount = ReadCount("the metadata count", MinKeyValueSize);

        var entries = new List<EntrySpan>((int)Math.Min(kvCount, 4096));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            int keyAt = _pos;
            string key = ReadString("a metadata key");
            if (key.Length == 0)
            {
                throw Fail("a metadata key is empty", keyAt);
            }
            if (!keys.Add(key))
            {
                throw Fail($"the metadata key '{key}' appears twice", keyAt);
            }
            int typeAt = _pos;
            uint type = ReadUInt32($"the type of '{key}'");
            if (!GgufValueCodec.IsDefined(type))
            {
                throw Fail($"the metadata key '{key}' has unknown value type {type}", typeAt);
            }
            int valueAt = _pos;
            GgufValueType? elementType = null;
            long? count = null;
            if ((GgufValueType)type == GgufValueType.Array)
            {
                elementType = (GgufValueType)PeekArrayHeader(key, out long n);
                count = n;
            }
            SkipValue((GgufValueType)type, key, 0);
            entries.Add(new EntrySpan(key, (GgufValueType)type, elementType, count, valueAt, _pos - valueAt));
        }

        uint alignment = GgufLayout.DefaultAlignment;
        var alignmentEntry = entries.FindIndex(e => e.Key == GgufLayout.AlignmentKey);
        if (alignmentEntry >= 0)
        {
            var e = entries[alignmentEntry];
            if (e.Type != GgufValueType.UInt32)
            {
                throw Fail($"{GgufLayout.AlignmentKey} must be a u32, not {e.Type}", e.ValueOffset);
            }
            alignment = BinaryPrimitives.ReadUInt32LittleEndian(_data[e.ValueOffset..]);
            if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            {
                throw Fail($"{GgufLayout.AlignmentKey} is {alignment}, which is not a power of two", e.ValueOffset);
            }
        }

        var rawTensors = new List<RawTensor>((int)Math.Min(tensorCount, 65536));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            int at = _pos;
            string name = ReadString("a tensor name");
            if (!names.Add(name))
            {
                throw Fail($"the tensor name '{name}' appears twice", at);
            }
            uint dims = ReadUInt32($"the dimension count of '{name}'");
            if (dims > GgufLayout.MaxDimensions)
            {
                throw Fail($"tensor '{name}' has {dims} dimensions; at most {GgufLayout.MaxDimensions} are allowed", at);
            }
            var shape = new long[dims];
            long elements = 1;
            for (int d = 0; d < dims; d++)
            {
                long ne = (long)ReadUInt64($"a dimension of '{name}'");
                if (ne < 0)
                {
                    throw Fail($"tensor '{name}' has a negative dimension", at);
                }
                if (ne != 0 && elements > long.MaxValue / ne)
                {
                    throw Fail($"the dimensions of tensor '{name}' overflow a 64-bit element count", at);
                }
                shape[d] = ne;
                elements *= ne;
            }
            var type = (GgmlType)ReadInt32($"the type of '{name}'");
            ulong offset = ReadUInt64($"the data offset of '{name}'");
            rawTensors.Add(new RawTensor(name, type, shape, elements, offset, at));
        }

        long headerEnd = _pos;
        // Vocab-only files (no tensors) end right after the header, and ggml reports the data section as starting there.
        long dataOffset = rawTensors.Count == 0 ? headerEnd : GgufLayout.Align(headerEnd, alignment);
        var tensors = new GgufTensorInfo[rawTensors.Count];
        for (int i = 0; i < tensors.Length; i++)
        {
            tensors[i] = Resolve(rawTensors[i], alignment, dataOffset);
        }

        byte[] header = _data[..(int)headerEnd].ToArray();
        var metadata = new GgufMetadataEntry[entries.Count];
        for (int i = 0; i < metadata.Length; i++)
        {
            var e = entries[i];
            metadata[i] = new GgufMetadataEntry(e.Key, e.Type, e.ElementType, e.Count, header, e.ValueOffset, e.ValueLength);
        }
        return new GgufHeader(version, new GgufMetadataCollection(metadata), tensors, alignment, headerEnd, dataOffset);
    }

    private GgufTensorInfo Resolve(RawTensor t, uint alignment, long dataOffset)
    {
        var info = GgmlTypeInfo.Get(t.Type);
        long byteSize = 0;
        if (info.IsKnown)
        {
            long rowLength = t.Shape.Length == 0 ? 1 : t.Shape[0];
            if (rowLength % info.BlockSize != 0)
            {
                throw Fail($"tensor '{t.Name}' has rows of {rowLength} elements, which is not a multiple of {info.Name}'s block size {info.BlockSize}", t.At);
            }
            byteSize = info.ByteCount(t.Elements);
            if (byteSize < 0)
            {
                throw Fail($"the size of tensor '{t.Name}' overflows", t.At);
            }
        }
        if (t.Offset % alignment != 0)
        {
            throw Fail($"tensor '{t.Name}' starts at data offset {t.Offset}, which is not a multiple of the alignment {alignment}", t.At);
        }
        long available = _fileLength - dataOffset;
        if (byteSize > 0 && (available < 0 || t.Offset > (ulong)available))
        {
            throw Fail($"the data of tensor '{t.Name}' starts past the end of the file", t.At);
        }
        long fileOffset = dataOffset + (long)Math.Min(t.Offset, (ulong)long.MaxValue - (ulong)dataOffset);
        if (byteSize > 0 && byteSize > _fileLength - fileOffset)
        {
            throw Fail($"the data of tensor '{t.Name}' ({byteSize} bytes at offset {fileOffset}) runs past the end of the file ({_fileLength} bytes)", t.At);
        }
        return new GgufTensorInfo(t.Name, t.Type, t.Shape, t.Elements, byteSize, (long)t.Offset, fileOffset);
    }

    private uint PeekArrayHeader(string key, out long count)
    {
        Need(12, $"the array header of '{key}'");
        uint elementType = BinaryPrimitives.ReadUInt32LittleEndian(_data[_pos..]);
        count = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(_data[(_pos + 4)..]), long.MaxValue);
        return elementType;
    }

    private void SkipValue(GgufValueType type, string key, int depth)
    {
        switch (type)
        {
            case GgufValueType.String:
                SkipString($"the string value of '{key}'");
                return;
            case GgufValueType.Array:
            {
                if (depth >= MaxArrayNesting)
                {
                    throw Fail($"the arrays in '{key}' are nested more than {MaxArrayNesting} deep", _pos);
                }
                int at = _pos;
                uint elementType = ReadUInt32($"the array type of '{key}'");
                if (!GgufValueCodec.IsDefined(elementType))
                {
                    throw Fail($"the array '{key}' has unknown element type {elementType}", at);
                }
                var et = (GgufValueType)elementType;
                ulong count = ReadUInt64($"the array length of '{key}'");
                int min = GgufValueCodec.MinimumSize(et);
                if (count > (ulong)Remaining / (ulong)min)
                {
                    throw Fail($"the array '{key}' claims {count} elements, more than the file can hold", at);
                }
                int fixedSize = GgufValueCodec.FixedSize(et);
                if (fixedSize > 0)
                {
                    _pos += (int)count * fixedSize;
                    return;
                }
                for (ulong i = 0; i < count; i++)
                {
                    SkipValue(et, key, depth + 1);
                }
                return;
            }
            default:
                Need(GgufValueCodec.FixedSize(type), $"the value of '{key}'");
                _pos += GgufValueCodec.FixedSize(type);
                return;
        }
    }

    private long Remaining => _data.Length - _pos;

    private void Need(long bytes, string what)
    {
        if (bytes > Remaining)
        {
            throw _data.Length < _fileLength
                ? Fail($"the header is larger than {_data.Length} bytes while reading {what}", _pos)
                : Fail($"the file is truncated: {what} needs {bytes} bytes but only {Remaining} remain", _pos);
        }
    }

    private uint ReadUInt32(string what)
    {
        Need(4, what);
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(_data[_pos..]);
        _pos += 4;
        return v;
    }

    private int ReadInt32(string what) => unchecked((int)ReadUInt32(what));

    private ulong ReadUInt64(string what)
    {
        Need(8, what);
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    private long ReadCount(string what, int minimumItemSize)
    {
        int at = _pos;
        ulong count = ReadUInt64(what);
        if (count > (ulong)(_fileLength - _pos) / (ulong)minimumItemSize)
        {
            throw Fail($"{what} is {count}, more than a {_fileLength}-byte file can hold: the file is truncated or corrupt", at);
        }
        return (long)count;
    }

    private int SkipString(string what)
    {
        int at = _pos;
        ulong length = ReadUInt64(what);
        if (length > (ulong)Remaining)
        {
            throw length > (ulong)(_fileLength - _pos)
                ? Fail($"{what} claims {length} bytes, more than the file holds", at)
                : Fail($"the file is truncated inside {what}", at);
        }
        _pos += (int)length;
        return (int)length;
    }

    private string ReadString(string what)
    {
        int length = SkipString(what);
        return Encoding.UTF8.GetString(_data.Slice(_pos - length, length));
    }

    private GgufFormatException Fail(string reason, long? offset = null) => new(_path, reason, offset);

    private readonly record struct EntrySpan(string Key, GgufValueType Type, GgufValueType? ElementType, long? Count, int ValueOffset, int ValueLength);

    private readonly record struct RawTensor(string Name, GgmlType Type, long[] Shape, long Elements, ulong Offset, int At);
}
