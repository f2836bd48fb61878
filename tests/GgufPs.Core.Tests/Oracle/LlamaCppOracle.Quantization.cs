using System.Runtime.InteropServices;

namespace GgufPs.Tests.Oracle;

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
