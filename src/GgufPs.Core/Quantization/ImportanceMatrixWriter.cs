using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace GgufPs.Quantization;

/// <summary>
/// Writes importance matrices in the two layouts llama-imatrix writes and llama-quantize (and
/// <see cref="ImportanceMatrix.Load"/>) reads: GGUF with &lt;name&gt;.in_sum2 and &lt;name&gt;.counts tensors, or the
/// legacy .dat. Both go to a temporary file that is renamed over the target only when complete.
/// </summary>
internal static class ImportanceMatrixWriter
{
    /// <summary>
    /// The GGUF layout of llama-imatrix's save_imatrix: general.type = "imatrix", imatrix.datasets,
    /// imatrix.chunk_count and imatrix.chunk_size (u32), then per entry in name order &lt;name&gt;.in_sum2
    /// [columns, matrices] and &lt;name&gt;.counts [1, matrices], both F32.
    /// </summary>
    public static void WriteGguf(string path, IEnumerable<ImportanceMatrixEntry> entries, IReadOnlyList<string> datasets,
        int chunkCount, int chunkSize, bool overwrite)
    {
        var sorted = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var metadata = new List<GgufMetadataEntry>
        {
            GgufMetadataEntry.Create("general.type", "imatrix"),
            GgufMetadataEntry.Create("imatrix.datasets", datasets.ToArray()),
            GgufMetadataEntry.Create("imatrix.chunk_count", GgufValueType.UInt32, (uint)Math.Max(0, chunkCount)),
            GgufMetadataEntry.Create("imatrix.chunk_size", GgufValueType.UInt32, (uint)Math.Max(0, chunkSize)),
        };
        var tensors = new List<GgufTensorDescriptor>(2 * sorted.Count);
        foreach (var e in sorted)
        {
            // gguf stores ggml_n_dims dimensions: a trailing 1 is dropped.
            tensors.Add(new GgufTensorDescriptor(e.Name + ".in_sum2", GgmlType.F32, e.Matrices > 1 ? [e.Columns, e.Matrices] : [e.Columns]));
            tensors.Add(new GgufTensorDescriptor(e.Name + ".counts", GgmlType.F32, e.Matrices > 1 ? [1, e.Matrices] : [1]));
        }
        using var writer = new GgufWriter(path, overwrite);
        writer.WriteHeader(metadata, tensors);
        foreach (var e in sorted)
        {
            writer.WriteTensorData(MemoryMarshal.AsBytes(e.Sums.AsSpan()));
            var counts = e.Counts.Select(c => (float)c).ToArray();
            writer.WriteTensorData(MemoryMarshal.AsBytes(counts.AsSpan()));
        }
        writer.Commit();
    }

    /// <summary>
    /// The legacy .dat layout of llama-imatrix's save_imatrix_legacy: the entry count; per entry (name order,
    /// entries without any data left out) the name length and name, ncall = ⌈max count / chunk size⌉, the value
    /// count and the values (sum / count) × ncall, with 1 for matrices that saw no data; then the chunk count and
    /// the dataset name.
    /// </summary>
    public static void WriteLegacy(string path, IEnumerable<ImportanceMatrixEntry> entries, string dataset,
        int chunkCount, int chunkSize, bool overwrite)
    {
        if (chunkSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), "The legacy format needs the chunk size to turn counts into calls.");
        }
        string target = Path.GetFullPath(path);
        if (!overwrite && File.Exists(target))
        {
            throw new IOException($"'{target}' already exists.");
        }
        var stored = entries.Where(e => e.Counts.Any(c => c != 0)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        string temporary = Path.Combine(Path.GetDirectoryName(target)!, Path.GetFileName(target) + ".tmp-" + Path.GetRandomFileName().Replace(".", ""));
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteInt32(stream, stored.Count);
                foreach (var e in stored)
                {
                    byte[] name = Encoding.UTF8.GetBytes(e.Name);
                    WriteInt32(stream, name.Length);
                    stream.Write(name);
                    int calls = (int)((e.Counts.Max() + (chunkSize - 1)) / chunkSize);
                    WriteInt32(stream, calls);
                    WriteInt32(stream, e.Sums.Length);
                    var values = new float[e.Sums.Length];
                    int columns = e.Columns;
                    for (int i = 0; i < values.Length; i++)
                    {
                        float count = e.Counts[i / columns];
                        float value = e.Sums[i];
                        if (count == 0.0f)
                        {
                            value = 1.0f;
                            count = 1.0f;
                        }
                        values[i] = value / count * calls;
                    }
                    stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
                }
                WriteInt32(stream, chunkCount);
                byte[] datasetBytes = Encoding.UTF8.GetBytes(dataset);
                WriteInt32(stream, datasetBytes.Length);
                stream.Write(datasetBytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }
}
