using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// A safetensors file, validated and memory-mapped: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data. Every range is checked against the file before anything is
/// read, so a truncated or lying file fails here with <see cref="ModelFormatException"/>.
/// </summary>
internal sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The safetensors library refuses headers above 100 MB; so do we, before allocating anything.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly MemoryMappedInput _input;

    private SafetensorsFile(MemoryMappedInput input)
    {
        _input = input;
        Path = input.Path;
        FileSize = input.Length;
        Tensors = [];
        Metadata = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public string Path { get; }

    public long FileSize { get; }

    /// <summary>The tensors sorted by name (ordinal), the order in which the safetensors library and llama.cpp's converter list them.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; private set; }

    /// <summary>The header's optional "__metadata__" string map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; }

    public static SafetensorsFile Open(string path)
    {
        var input = MemoryMappedInput.Open(path);
        try
        {
            if (input.Length < 8)
            {
                throw new ModelFormatException(input.Path, $"the file has {input.Length} bytes, fewer than the 8-byte header length");
            }
            var file = new SafetensorsFile(input);
            file.ParseHeader();
            return file;
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    /// <summary>Bytes per element of a dtype.</summary>
    public static int ElementSize(SafetensorsDataType type) => type switch
    {
        SafetensorsDataType.Bool or SafetensorsDataType.U8 or SafetensorsDataType.I8
            or SafetensorsDataType.F8_E4M3 or SafetensorsDataType.F8_E5M2 => 1,
        SafetensorsDataType.I16 or SafetensorsDataType.U16 or SafetensorsDataType.F16 or SafetensorsDataType.BF16 => 2,
        SafetensorsDataType.I32 or SafetensorsDataType.U32 or SafetensorsDataType.F32 => 4,
        _ => 8,
    };

    /// <summary>A pointer to a tensor's first byte, valid until disposal. Large tensors are read through it in pieces.</summary>
    public byte* GetDataPointer(SafetensorsTensor tensor)
    {
        if (!ReferenceEquals(tensor.File, this))
        {
            throw new ArgumentException($"Tensor '{tensor.Name}' belongs to another file.", nameof(tensor));
        }
        return _input.At(tensor.DataOffset);
    }

    /// <summary>A byte range of a tensor (offsets relative to the tensor's start).</summary>
    public ReadOnlySpan<byte> GetData(SafetensorsTensor tensor, long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > tensor.ByteLength - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + length} are outside tensor '{tensor.Name}'.");
        }
        return new ReadOnlySpan<byte>(GetDataPointer(tensor) + offset, length);
    }

    internal MemoryMappedInput Input => _input;

    public void Dispose() => _input.Dispose();

    private void ParseHeader()
    {
        ulong headerLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(_input.Span(0, 8));
        if (headerLength > MaxHeaderLength)
        {
            throw new ModelFormatException(Path, $"the header length {headerLength} is larger than the {MaxHeaderLength}-byte limit");
        }
        if ((long)headerLength > FileSize - 8)
        {
            throw new ModelFormatException(Path, $"the header length {headerLength} runs past the end of the {FileSize}-byte file (truncated?)");
        }
        long dataStart = 8 + (long)headerLength;
        long dataLength = FileSize - dataStart;
        var json = _input.Span(8, (int)headerLength);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(Path, "the header is not valid JSON: " + ex.Message, ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(Path, "the header is not a JSON object");
            }
            var tensors = new List<SafetensorsTensor>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var m in property.Value.EnumerateObject())
                        {
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                        }
                    }
                    continue;
                }
                tensors.Add(ParseTensor(property.Name, property.Value, dataStart, dataLength));
            }
            CheckNoOverlap(tensors, dataStart);
            tensors.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            Tensors = tensors;
            Metadata = metadata;
        }
    }

    private SafetensorsTensor ParseTensor(string name, JsonElement entry, long dataStart, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException(Path, $"tensor '{name}' lacks a dtype, shape or data_offsets");
        }
        string dtypeName = dtypeElement.GetString()!;
        if (dtypeName.Length == 0 || !char.IsLetter(dtypeName[0]) || !Enum.TryParse<SafetensorsDataType>(dtypeName, ignoreCase: false, out var dtype))
        {
            throw new ModelFormatException(Path, $"tensor '{name}' has the unknown dtype '{dtypeName}'");
        }
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        long elements = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
            {
                throw new ModelFormatException(Path, $"tensor '{name}' has an invalid shape {shapeElement.GetRawText()}");
            }
            if (dim != 0 && elements > long.MaxValue / dim / 8)
            {
                throw new ModelFormatException(Path, $"tensor '{name}' has a shape too large to exist {shapeElement.GetRawText()}");
            }
            elements *= dim;
            shape[i++] = dim;
        }
        if (offsetsElement.GetArrayLength() != 2
            || !offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end))
        {
            throw new ModelFormatException(Path, $"tensor '{name}' has invalid data_offsets {offsetsElement.GetRawText()}");
        }
        if (begin < 0 || end < begin || end > dataLength)
        {
            throw new ModelFormatException(Path,
                $"tensor '{name}' has data_offsets [{begin}, {end}] outside the {dataLength} data bytes (truncated?)");
        }
        long expected = elements * ElementSize(dtype);
        if (end - begin != expected)
        {
            throw new ModelFormatException(Path,
                $"tensor '{name}' of shape [{string.Join(", ", shape)}] {dtypeName} needs {expected} bytes but its data_offsets span {end - begin}");
        }
        return new SafetensorsTensor(this, name, dtype, shape, dataStart + begin, end - begin);
    }

    private void CheckNoOverlap(List<SafetensorsTensor> tensors, long dataStart)
    {
        var byOffset = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataOffset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var previous = byOffset[i - 1];
            if (byOffset[i].DataOffset < previous.DataOffset + previous.ByteLength)
            {
                throw new ModelFormatException(Path,
                    $"tensors '{previous.Name}' and '{byOffset[i].Name}' overlap at byte {byOffset[i].DataOffset - dataStart} of the data");
            }
        }
    }
}
