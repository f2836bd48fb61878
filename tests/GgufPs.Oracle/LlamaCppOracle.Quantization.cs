using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>ggml's row-level (de)quantizers, reached by symbol: ggml-base's dequantize_row_* and reference quantizers, and ggml-cpu's activation quantizers.</summary>
internal static unsafe partial class LlamaCppOracle
{
    private static readonly Dictionary<string, IntPtr> Exports = new();

    private static IntPtr Export(string library, string symbol)
    {
        LlamaNative.EnsureLoaded();
        lock (Exports)
        {
            string key = library + "!" + symbol;
            if (!Exports.TryGetValue(key, out var address))
            {
                // Loading an already-loaded library by path returns the same handle.
                var handle = NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "llama.cpp", LlamaNative.Variant, library));
                address = NativeLibrary.GetExport(handle, symbol);
                Exports[key] = address;
            }
            return address;
        }
    }

    /// <summary>ggml-base's dequantize_row_&lt;type&gt; (the type traits' to_float) over <paramref name="count"/> values.</summary>
    public static float[] Dequantize(GgmlType type, ReadOnlySpan<byte> blocks, int count)
    {
        var fn = (delegate* unmanaged<byte*, float*, long, void>)Export("libggml-base.so", "dequantize_row_" + SymbolName(type));
        var output = new float[count];
        fixed (byte* src = blocks)
        fixed (float* dst = output)
        {
            fn(src, dst, count);
        }
        return output;
    }

    /// <summary>ggml-base's quantize_row_&lt;type&gt;_ref (for the activation-only formats Q8_1 and Q8_K).</summary>
    public static byte[] QuantizeRowReference(GgmlType type, ReadOnlySpan<float> source)
    {
        var fn = (delegate* unmanaged<float*, byte*, long, void>)Export("libggml-base.so", "quantize_row_" + SymbolName(type) + "_ref");
        return RunRowQuantizer(fn, type, source);
    }

    /// <summary>ggml-cpu's quantize_row_&lt;type&gt; for this CPU's variant: what llama.cpp applies to activations.</summary>
    public static byte[] QuantizeActivations(GgmlType type, ReadOnlySpan<float> source)
    {
        var fn = (delegate* unmanaged<float*, byte*, long, void>)Export("libggml-cpu.so", "quantize_row_" + SymbolName(type));
        return RunRowQuantizer(fn, type, source);
    }

    private static byte[] RunRowQuantizer(delegate* unmanaged<float*, byte*, long, void> fn, GgmlType type, ReadOnlySpan<float> source)
    {
        var output = new byte[GgmlTypeInfo.Get(type).RowSize(source.Length)];
        fixed (float* src = source)
        fixed (byte* dst = output)
        {
            fn(src, dst, source.Length);
        }
        return output;
    }

    // ggml's symbol suffixes: q4_0, q2_K, iq4_nl.
    private static string SymbolName(GgmlType type)
    {
        string name = type.ToString().ToLowerInvariant();
        return name.EndsWith("_k", StringComparison.Ordinal) ? name[..^2] + "_K" : name;
    }
}

internal static unsafe partial class LlamaCppOracle
{
    /// <summary>
    /// llama_model_quantize with an importance matrix, tensor-type overrides and metadata overrides marshalled the way
    /// llama-quantize hands them over (null-terminated arrays).
    /// </summary>
    public static uint QuantizeModel(string input, string output, LlamaModelQuantizeParams parameters,
        IReadOnlyDictionary<string, float[]>? imatrix,
        IReadOnlyList<(string Pattern, GgmlType Type)>? tensorTypes = null,
        IReadOnlyList<(string Key, object Value)>? metadata = null)
    {
        var handles = new List<GCHandle>();
        var names = new List<IntPtr>();
        try
        {
            LlamaImatrixData[]? entries = null;
            if (imatrix is not null)
            {
                entries = new LlamaImatrixData[imatrix.Count + 1];
                int i = 0;
                foreach (var (name, values) in imatrix)
                {
                    var nameBytes = Utf8(name);
                    var nameHandle = GCHandle.Alloc(nameBytes, GCHandleType.Pinned);
                    var dataHandle = GCHandle.Alloc(values, GCHandleType.Pinned);
                    handles.Add(nameHandle);
                    handles.Add(dataHandle);
                    entries[i++] = new LlamaImatrixData
                    {
                        Name = (byte*)nameHandle.AddrOfPinnedObject(),
                        Data = (float*)dataHandle.AddrOfPinnedObject(),
                        Size = (nuint)values.Length,
                    };
                }
                var entriesHandle = GCHandle.Alloc(entries, GCHandleType.Pinned);
                handles.Add(entriesHandle);
                parameters.Imatrix = (LlamaImatrixData*)entriesHandle.AddrOfPinnedObject();
            }
            if (tensorTypes is { Count: > 0 })
            {
                var overrides = new LlamaTensorTypeOverride[tensorTypes.Count + 1];
                for (int i = 0; i < tensorTypes.Count; i++)
                {
                    var patternHandle = GCHandle.Alloc(Utf8(tensorTypes[i].Pattern), GCHandleType.Pinned);
                    handles.Add(patternHandle);
                    overrides[i] = new LlamaTensorTypeOverride { Pattern = (byte*)patternHandle.AddrOfPinnedObject(), Type = (int)tensorTypes[i].Type };
                }
                overrides[^1] = new LlamaTensorTypeOverride { Pattern = null, Type = GgmlTypeCount };
                var overridesHandle = GCHandle.Alloc(overrides, GCHandleType.Pinned);
                handles.Add(overridesHandle);
                parameters.TensorTypeOverrides = (LlamaTensorTypeOverride*)overridesHandle.AddrOfPinnedObject();
            }
            if (metadata is { Count: > 0 })
            {
                var kv = new LlamaModelKvOverride[metadata.Count + 1];
                for (int i = 0; i < metadata.Count; i++)
                {
                    kv[i] = LlamaModelKvOverride.Create(metadata[i].Key, metadata[i].Value);
                }
                var kvHandle = GCHandle.Alloc(kv, GCHandleType.Pinned);
                handles.Add(kvHandle);
                parameters.KvOverrides = kvHandle.AddrOfPinnedObject();
            }
            return QuantizeModel(input, output, parameters);
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }

    /// <summary>GGML_TYPE_COUNT of the bundled build: "no type" in llama_model_quantize_params.</summary>
    public const int GgmlTypeCount = 43;
}
