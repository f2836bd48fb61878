using System.Buffers.Binary;
using System.Text;

namespace GgufPs.Quantization;

/// <summary>
/// An importance matrix as llama-quantize uses it: per tensor, the mean squared activation of each input column
/// (one run of values per expert for 3-D tensors). Reads llama.cpp's legacy .dat files and the newer GGUF files
/// (tensors &lt;name&gt;.in_sum2 and &lt;name&gt;.counts), normalizing the sums by their counts as llama-quantize does.
/// The raw sums and counts stay available (<see cref="Entries"/>) for merging and statistics.
/// </summary>
public sealed class ImportanceMatrix
{
    private readonly Dictionary<string, float[]> _entries;
    private readonly SortedDictionary<string, ImportanceMatrixEntry> _raw;

    private ImportanceMatrix(string path, Dictionary<string, float[]> entries, SortedDictionary<string, ImportanceMatrixEntry> raw,
        IReadOnlyList<string> datasets, int chunkCount, int chunkSize, bool isLegacy)
    {
        Path = path;
        _entries = entries;
        _raw = raw;
        Datasets = datasets;
        ChunkCount = chunkCount;
        ChunkSize = chunkSize;
        IsLegacy = isLegacy;
    }

    /// <summary>The file name as it was given, which llama-quantize records in quantize.imatrix.file.</summary>
    public string Path { get; }

    /// <summary>The text files the matrix was computed on, if the file says.</summary>
    public IReadOnlyList<string> Datasets { get; }

    /// <summary>How many chunks of text went into it (0 when unknown).</summary>
    public int ChunkCount { get; }

    /// <summary>Tokens per chunk (imatrix.chunk_size); 0 when unknown, as in legacy files.</summary>
    public int ChunkSize { get; }

    /// <summary>True for the legacy .dat format.</summary>
    public bool IsLegacy { get; }

    /// <summary>
    /// The raw entries in name order. For a legacy file the sums are the stored values (mean × calls) and the count
    /// is the call count, so sums / count is the mean as in a GGUF file.
    /// </summary>
    public IReadOnlyCollection<ImportanceMatrixEntry> Entries => _raw.Values;

    public int Count => _entries.Count;

    public IEnumerable<string> TensorNames => _entries.Keys;

    public bool TryGetWeights(string tensorName, out float[] weights) => _entries.TryGetValue(tensorName, out weights!);

    /// <summary>A copy holding only the entries whose names pass llama-quantize's --include-weights/--exclude-weights (substring) filters.</summary>
    public ImportanceMatrix Filter(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        if (include.Count > 0 && exclude.Count > 0)
        {
            throw new ArgumentException("Include and exclude weight filters cannot be used together.");
        }
        var kept = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var keptRaw = new SortedDictionary<string, ImportanceMatrixEntry>(StringComparer.Ordinal);
        foreach (var (name, values) in _entries)
        {
            bool keep = include.Count > 0
                ? include.Any(p => name.Contains(p, StringComparison.Ordinal))
                : !exclude.Any(p => name.Contains(p, StringComparison.Ordinal));
            if (keep)
            {
                kept[name] = values;
                keptRaw[name] = _raw[name];
            }
        }
        return new ImportanceMatrix(Path, kept, keptRaw, Datasets, ChunkCount, ChunkSize, IsLegacy);
    }

    /// <summary>Reads a .dat or GGUF importance matrix. Throws <see cref="InvalidDataException"/> or <see cref="GgufFormatException"/> for a malformed file.</summary>
    public static ImportanceMatrix Load(string path, string? displayName = null)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        Span<byte> magic = stackalloc byte[4];
        int read;
        using (var probe = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            read = probe.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        }
        string name = displayName ?? path;
        return read == 4 && BinaryPrimitives.ReadUInt32LittleEndian(magic) == GgufLayout.Magic
            ? LoadGguf(fullPath, name)
            : LoadLegacy(fullPath, name);
    }

    /// <summary>Builds a matrix from already-normalized values (tests, or imatrices computed in memory).</summary>
    public static ImportanceMatrix FromValues(string path, IReadOnlyDictionary<string, float[]> values, IReadOnlyList<string>? datasets = null, int chunkCount = 0)
    {
        var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var raw = new SortedDictionary<string, ImportanceMatrixEntry>(StringComparer.Ordinal);
        foreach (var (name, v) in values)
        {
            CheckFinite(path, name, v);
            entries[name] = v.ToArray();
            raw[name] = new ImportanceMatrixEntry(name, v.ToArray(), [1]);
        }
        return new ImportanceMatrix(path, entries, raw, datasets ?? [], chunkCount, 0, isLegacy: false);
    }

    private static ImportanceMatrix LoadLegacy(string fullPath, string displayName)
    {
        long fileLength = new FileInfo(fullPath).Length;
        if (fileLength > Array.MaxLength)
        {
            throw new InvalidDataException($"'{fullPath}' is {fileLength} bytes, too large for a legacy importance matrix.");
        }
        byte[] data = File.ReadAllBytes(fullPath);
        var reader = new LegacyReader(data, fullPath);
        int entryCount = reader.Int32("entry count");
        // Each entry takes at least 16 bytes (name length, a name, call and value counts, a value): a larger count
        // means the file is something else, not a damaged matrix.
        if (entryCount < 1 || entryCount > fileLength / 16)
        {
            throw new InvalidDataException($"'{fullPath}' is not an importance matrix (neither GGUF nor llama.cpp's legacy .dat): it would declare {entryCount} entries in {fileLength} bytes.");
        }
        var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var raw = new SortedDictionary<string, ImportanceMatrixEntry>(StringComparer.Ordinal);
        for (int i = 0; i < entryCount; i++)
        {
            int nameLength = reader.Int32($"name length of entry {i + 1}");
            if (nameLength < 1 || nameLength > reader.Remaining)
            {
                throw new InvalidDataException($"'{fullPath}' is not a valid importance matrix: entry {i + 1} declares a name of {nameLength} bytes with {reader.Remaining} bytes left.");
            }
            string name = reader.Name(nameLength, i + 1);
            int calls = reader.Int32($"call count of '{name}'");
            int valueCount = reader.Int32($"value count of '{name}'");
            if (valueCount < 1)
            {
                throw new InvalidDataException($"Importance matrix '{fullPath}': entry '{name}' declares {valueCount} values.");
            }
            var values = reader.Floats(valueCount, name);
            raw[name] = new ImportanceMatrixEntry(name, values.ToArray(), [calls]);
            if (calls > 0)
            {
                for (int j = 0; j < values.Length; j++)
                {
                    values[j] /= calls;
                }
            }
            CheckFinite(fullPath, name, values);
            entries[name] = values;
        }
        int chunks = 0;
        var datasets = new List<string>();
        // The chunk count and dataset name at the end came later; older files stop after the entries.
        if (reader.Remaining >= 4)
        {
            chunks = reader.Int32("chunk count");
            if (reader.Remaining >= 4)
            {
                int length = reader.Int32("dataset name length");
                if (length > 0 && length <= reader.Remaining)
                {
                    datasets.Add(reader.Name(length, 0));
                }
            }
        }
        return new ImportanceMatrix(displayName, entries, raw, datasets, chunks, 0, isLegacy: true);
    }

    private static ImportanceMatrix LoadGguf(string fullPath, string displayName)
    {
        using var file = GgufFile.Open(fullPath);
        var metadata = file.Metadata;
        var datasets = metadata.GetArray<string>("imatrix.datasets");
        long? chunkCount = metadata.GetInteger("imatrix.chunk_count");
        long? chunkSize = metadata.GetInteger("imatrix.chunk_size");
        if (datasets is null || chunkCount is null || chunkSize is null)
        {
            throw new InvalidDataException($"'{fullPath}' has no importance matrix metadata (imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size).");
        }
        var sums = new SortedDictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        var counts = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var t in file.Tensors)
        {
            if (t.Name.EndsWith(".in_sum2", StringComparison.Ordinal))
            {
                sums[t.Name[..^".in_sum2".Length]] = t;
            }
            else if (t.Name.EndsWith(".counts", StringComparison.Ordinal))
            {
                counts[t.Name[..^".counts".Length]] = t;
            }
        }
        if (sums.Count == 0 && counts.Count == 0)
        {
            throw new InvalidDataException($"'{fullPath}' holds no importance matrix tensors (<name>.in_sum2 and <name>.counts).");
        }
        var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var raw = new SortedDictionary<string, ImportanceMatrixEntry>(StringComparer.Ordinal);
        foreach (string name in sums.Keys.Union(counts.Keys).Order(StringComparer.Ordinal))
        {
            if (!sums.TryGetValue(name, out var sumTensor) || !counts.TryGetValue(name, out var countTensor))
            {
                throw new InvalidDataException($"Importance matrix '{fullPath}': '{name}' lacks its {(sums.ContainsKey(name) ? "counts" : "in_sum2")} tensor.");
            }
            if (sumTensor.Type != GgmlType.F32 || countTensor.Type != GgmlType.F32)
            {
                throw new InvalidDataException($"Importance matrix '{fullPath}': the sums and counts of '{name}' must be F32.");
            }
            var sumValues = ReadFloats(file, sumTensor);
            var countValues = ReadFloats(file, countTensor);
            if (countValues.Length == 0 || sumValues.Length == 0)
            {
                continue;
            }
            if (sumValues.Length % countValues.Length != 0)
            {
                throw new InvalidDataException($"Importance matrix '{fullPath}': '{name}' has {sumValues.Length} sums for {countValues.Length} counts.");
            }
            CheckFinite(fullPath, name + ".counts", countValues);
            int rowLength = sumValues.Length / countValues.Length;
            var values = new float[sumValues.Length];
            // llama-imatrix rounds the stored counts (lround) when it merges files; llama-quantize divides by them as floats.
            var rounded = countValues.Select(c => (long)Math.Round((double)c, MidpointRounding.AwayFromZero)).ToArray();
            raw[name] = new ImportanceMatrixEntry(name, sumValues, rounded);
            for (int j = 0; j < countValues.Length; j++)
            {
                float count = countValues[j];
                for (int i = 0; i < rowLength; i++)
                {
                    values[j * rowLength + i] = count > 0.0f ? sumValues[j * rowLength + i] / count : 1;
                }
            }
            CheckFinite(fullPath, name, values);
            entries[name] = values;
        }
        return new ImportanceMatrix(displayName, entries, raw, datasets, (int)chunkCount.Value, (int)Math.Clamp(chunkSize.Value, 0, int.MaxValue), isLegacy: false);
    }

    private static float[] ReadFloats(GgufFile file, GgufTensorInfo tensor)
    {
        var bytes = file.GetTensorData(tensor);
        var values = new float[tensor.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        }
        return values;
    }

    private static void CheckFinite(string path, string name, float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new InvalidDataException($"Importance matrix '{path}': entry '{name}' has a non-finite value at column {i}.");
            }
        }
    }

    /// <summary>Bounds-checked little-endian reads, so a lying count gives an error rather than a huge allocation.</summary>
    private sealed class LegacyReader(byte[] data, string path)
    {
        private int _position;

        public int Remaining => data.Length - _position;

        public int Int32(string what)
        {
            Need(4, what);
            int value = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(_position));
            _position += 4;
            return value;
        }

        public string Name(int length, int entry)
        {
            if (length < 0)
            {
                throw new InvalidDataException($"Importance matrix '{path}': entry {entry} has a negative name length.");
            }
            Need(length, $"name of entry {entry}");
            var bytes = data.AsSpan(_position, length);
            _position += length;
            // llama.cpp builds the name from a C string, so it ends at the first NUL.
            int nul = bytes.IndexOf((byte)0);
            return Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
        }

        public float[] Floats(int count, string name)
        {
            if ((long)count * 4 > Remaining)
            {
                throw new InvalidDataException($"Importance matrix '{path}' is truncated: entry '{name}' declares {count} values but only {Remaining} bytes remain.");
            }
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(_position + 4 * i));
            }
            _position += 4 * count;
            return values;
        }

        private void Need(int bytes, string what)
        {
            if (bytes > Remaining)
            {
                throw new InvalidDataException($"Importance matrix '{path}' is truncated while reading the {what}.");
            }
        }
    }
}
