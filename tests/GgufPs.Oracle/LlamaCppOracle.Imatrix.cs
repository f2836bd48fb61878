using System.Runtime.InteropServices;
using GgufPs.Quantization;

namespace GgufPs.Oracle;

/// <summary>llama-imatrix's save_imatrix through ggml and gguf themselves, and llama-quantize's reading of the result.</summary>
internal static unsafe partial class LlamaCppOracle
{
    /// <summary>
    /// Writes entries as save_imatrix does: general.type, imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size,
    /// then per entry in name order ggml tensors &lt;name&gt;.in_sum2 [columns, matrices] and &lt;name&gt;.counts [1, matrices]
    /// added to a gguf context and written with gguf_write_to_file.
    /// </summary>
    public static void WriteImatrixGguf(string path, IReadOnlyList<ImportanceMatrixEntry> entries, IReadOnlyList<string> datasets, uint chunkCount, uint chunkSize)
    {
        LlamaNative.EnsureLoaded();
        var sorted = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        nuint size = (nuint)(sorted.Sum(e => 4L * (e.Sums.Length + e.Counts.Length) + 2 * 1024) + (1 << 16));
        IntPtr ctx = LlamaNative.ggml_init(new GgmlInitParams { MemSize = size, MemBuffer = IntPtr.Zero, NoAlloc = 0 });
        IntPtr gguf = LlamaNative.gguf_init_empty();
        var pinned = new List<GCHandle>();
        byte* Pin(string s)
        {
            var h = GCHandle.Alloc(Utf8(s), GCHandleType.Pinned);
            pinned.Add(h);
            return (byte*)h.AddrOfPinnedObject();
        }
        try
        {
            LlamaNative.gguf_set_val_str(gguf, Pin("general.type"), Pin("imatrix"));
            var names = datasets.Select(d => (IntPtr)Pin(d)).ToArray();
            fixed (IntPtr* p = names)
            {
                LlamaNative.gguf_set_arr_str(gguf, Pin("imatrix.datasets"), (byte**)p, (nuint)names.Length);
            }
            LlamaNative.gguf_set_val_u32(gguf, Pin("imatrix.chunk_count"), chunkCount);
            LlamaNative.gguf_set_val_u32(gguf, Pin("imatrix.chunk_size"), chunkSize);
            foreach (var e in sorted)
            {
                IntPtr sums = LlamaNative.ggml_new_tensor_2d(ctx, (int)GgmlType.F32, e.Columns, e.Matrices);
                IntPtr counts = LlamaNative.ggml_new_tensor_2d(ctx, (int)GgmlType.F32, 1, e.Matrices);
                LlamaNative.ggml_set_name(sums, Pin(e.Name + ".in_sum2"));
                LlamaNative.ggml_set_name(counts, Pin(e.Name + ".counts"));
                e.Sums.CopyTo(new Span<float>((void*)LlamaNative.ggml_get_data(sums), e.Sums.Length));
                var c = new Span<float>((void*)LlamaNative.ggml_get_data(counts), e.Matrices);
                for (int i = 0; i < c.Length; i++)
                {
                    c[i] = e.Counts[i];
                }
                LlamaNative.gguf_add_tensor(gguf, sums);
                LlamaNative.gguf_add_tensor(gguf, counts);
            }
            if (LlamaNative.gguf_write_to_file(gguf, Pin(path), 0) == 0)
            {
                throw new IOException($"gguf_write_to_file failed for '{path}'.");
            }
        }
        finally
        {
            LlamaNative.gguf_free(gguf);
            LlamaNative.ggml_free(ctx);
            foreach (var h in pinned)
            {
                h.Free();
            }
        }
    }

    /// <summary>
    /// llama-quantize's reading of a GGUF imatrix, through gguf's parser: per &lt;name&gt;.in_sum2 / &lt;name&gt;.counts
    /// pair, sum / count for each matrix that saw data and 1 for one that did not.
    /// </summary>
    public static Dictionary<string, float[]> ReadImatrixGguf(string path)
    {
        var snapshot = GgufSnapshotOf(path);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, sums) in snapshot)
        {
            if (!name.EndsWith(".in_sum2", StringComparison.Ordinal))
            {
                continue;
            }
            string tensor = name[..^".in_sum2".Length];
            float[] counts = snapshot[tensor + ".counts"];
            int columns = sums.Length / counts.Length;
            var values = new float[sums.Length];
            for (int m = 0; m < counts.Length; m++)
            {
                for (int i = 0; i < columns; i++)
                {
                    values[m * columns + i] = counts[m] > 0 ? sums[m * columns + i] / counts[m] : 1;
                }
            }
            result[tensor] = values;
        }
        return result;
    }

    /// <summary>Every F32 tensor of a GGUF file, located by gguf's own parser.</summary>
    private static Dictionary<string, float[]> GgufSnapshotOf(string path)
    {
        LlamaNative.EnsureLoaded();
        IntPtr ctx;
        fixed (byte* name = Utf8(path))
        {
            ctx = LlamaNative.gguf_init_from_file(name, new GgufInitParams { NoAlloc = 1, Context = IntPtr.Zero });
        }
        if (ctx == IntPtr.Zero)
        {
            throw new InvalidDataException($"gguf could not read '{path}'.");
        }
        try
        {
            byte[] file = File.ReadAllBytes(path);
            long dataOffset = (long)LlamaNative.gguf_get_data_offset(ctx);
            var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (long i = 0; i < LlamaNative.gguf_get_n_tensors(ctx); i++)
            {
                string tensor = Marshal.PtrToStringUTF8((IntPtr)LlamaNative.gguf_get_tensor_name(ctx, i))!;
                if (LlamaNative.gguf_get_tensor_type(ctx, i) != (int)GgmlType.F32)
                {
                    throw new InvalidDataException($"'{tensor}' in '{path}' is not F32.");
                }
                long offset = dataOffset + (long)LlamaNative.gguf_get_tensor_offset(ctx, i);
                int bytes = (int)LlamaNative.gguf_get_tensor_size(ctx, i);
                result[tensor] = MemoryMarshal.Cast<byte, float>(file.AsSpan((int)offset, bytes)).ToArray();
            }
            return result;
        }
        finally
        {
            LlamaNative.gguf_free(ctx);
        }
    }
}
