using System.Runtime.InteropServices;
using System.Text;

namespace GgufPs.Oracle;

/// <summary>
/// llama.cpp itself, called through its C API, as the reference our code is compared against. Only tests use it;
/// the product never does.
/// </summary>
internal static unsafe partial class LlamaCppOracle
{
    private static readonly object QuantizeGate = new();

    public static string Variant
    {
        get
        {
            LlamaNative.EnsureLoaded();
            return LlamaNative.Variant;
        }
    }

    public static string TypeName(int type)
    {
        LlamaNative.EnsureLoaded();
        return Marshal.PtrToStringUTF8((IntPtr)LlamaNative.ggml_type_name(type)) ?? "";
    }

    public static long BlockSize(int type)
    {
        LlamaNative.EnsureLoaded();
        return LlamaNative.ggml_blck_size(type);
    }

    public static long TypeSize(int type)
    {
        LlamaNative.EnsureLoaded();
        return (long)LlamaNative.ggml_type_size(type);
    }

    public static bool RequiresImportance(GgmlType type)
    {
        LlamaNative.EnsureLoaded();
        return LlamaNative.ggml_quantize_requires_imatrix((int)type) != 0;
    }

    /// <summary>ggml_quantize_chunk over <paramref name="rows"/> rows of <paramref name="rowLength"/> floats.</summary>
    public static byte[] Quantize(GgmlType type, ReadOnlySpan<float> source, int rows, int rowLength, ReadOnlySpan<float> importance = default)
    {
        LlamaNative.EnsureLoaded();
        long rowBytes = GgmlTypeInfo.Get(type).RowSize(rowLength);
        var output = new byte[rowBytes * rows];
        fixed (float* src = source)
        fixed (float* imatrix = importance)
        fixed (byte* dst = output)
        {
            // ggml_quantize_init fills shared lookup tables on first use and is not safe to race.
            lock (QuantizeGate)
            {
                nuint written = LlamaNative.ggml_quantize_chunk((int)type, src, dst, 0, rows, rowLength, importance.IsEmpty ? null : imatrix);
                if ((long)written != output.Length)
                {
                    throw new InvalidOperationException($"ggml_quantize_chunk wrote {written} bytes, expected {output.Length}.");
                }
            }
        }
        return output;
    }

    /// <summary>Whether gguf_init_from_file accepts the file (it is opened, parsed and closed again).</summary>
    public static bool CanOpenGguf(string path)
    {
        LlamaNative.EnsureLoaded();
        IntPtr ctx;
        fixed (byte* name = Utf8(path))
        {
            ctx = LlamaNative.gguf_init_from_file(name, new GgufInitParams { NoAlloc = 1 });
        }
        if (ctx == IntPtr.Zero)
        {
            return false;
        }
        LlamaNative.gguf_free(ctx);
        return true;
    }

    /// <summary>What gguf_init_from_file reads from a file, or null when it refuses the file.</summary>
    public static GgufSnapshot? ReadGguf(string path)
    {
        LlamaNative.EnsureLoaded();
        IntPtr ctx;
        fixed (byte* name = Utf8(path))
        {
            ctx = LlamaNative.gguf_init_from_file(name, new GgufInitParams { NoAlloc = 1 });
        }
        if (ctx == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            var entries = new List<GgufSnapshot.Entry>();
            long n = LlamaNative.gguf_get_n_kv(ctx);
            for (long i = 0; i < n; i++)
            {
                string key = Str(LlamaNative.gguf_get_key(ctx, i));
                var type = (GgufValueType)LlamaNative.gguf_get_kv_type(ctx, i);
                GgufValueType? elementType = type == GgufValueType.Array ? (GgufValueType)LlamaNative.gguf_get_arr_type(ctx, i) : null;
                entries.Add(new GgufSnapshot.Entry(key, type, elementType, ReadValue(ctx, i, type, elementType)));
            }
            var tensors = new List<GgufSnapshot.Tensor>();
            long nt = LlamaNative.gguf_get_n_tensors(ctx);
            for (long i = 0; i < nt; i++)
            {
                tensors.Add(new GgufSnapshot.Tensor(
                    Str(LlamaNative.gguf_get_tensor_name(ctx, i)),
                    LlamaNative.gguf_get_tensor_type(ctx, i),
                    (long)LlamaNative.gguf_get_tensor_offset(ctx, i),
                    (long)LlamaNative.gguf_get_tensor_size(ctx, i)));
            }
            return new GgufSnapshot(
                LlamaNative.gguf_get_version(ctx),
                (long)LlamaNative.gguf_get_alignment(ctx),
                (long)LlamaNative.gguf_get_data_offset(ctx),
                entries,
                tensors);
        }
        finally
        {
            LlamaNative.gguf_free(ctx);
        }
    }

    /// <summary>Loads a model with llama_model_load_from_file; null when llama.cpp refuses it.</summary>
    public static LlamaCppModel? LoadModel(string path, int contextLength = 512, int threads = 2, bool vocabOnly = false,
        IntPtr evalCallback = default, IntPtr evalCallbackUserData = default)
    {
        LlamaNative.EnsureLoaded();
        var mp = LlamaNative.llama_model_default_params();
        mp.NGpuLayers = 0;
        mp.VocabOnly = vocabOnly ? (byte)1 : (byte)0;
        IntPtr model;
        fixed (byte* name = Utf8(path))
        {
            model = LlamaNative.llama_model_load_from_file(name, mp);
        }
        if (model == IntPtr.Zero)
        {
            return null;
        }
        IntPtr ctx = IntPtr.Zero;
        if (!vocabOnly)
        {
            var cp = LlamaNative.llama_context_default_params();
            cp.NCtx = (uint)contextLength;
            cp.NBatch = (uint)contextLength;
            cp.NUbatch = (uint)contextLength;
            cp.NSeqMax = 1;
            cp.NThreads = threads;
            cp.NThreadsBatch = threads;
            cp.FlashAttnType = 0;
            cp.CbEval = evalCallback;
            cp.CbEvalUserData = evalCallbackUserData;
            ctx = LlamaNative.llama_init_from_model(model, cp);
            if (ctx == IntPtr.Zero)
            {
                LlamaNative.llama_model_free(model);
                return null;
            }
        }
        return new LlamaCppModel(model, ctx);
    }

    /// <summary>llama_model_quantize_default_params, to adjust before <see cref="QuantizeModel"/>.</summary>
    public static LlamaModelQuantizeParams DefaultQuantizeParams()
    {
        LlamaNative.EnsureLoaded();
        return LlamaNative.llama_model_quantize_default_params();
    }

    /// <summary>llama_model_quantize; returns llama.cpp's status (0 is success).</summary>
    public static uint QuantizeModel(string input, string output, LlamaModelQuantizeParams parameters)
    {
        LlamaNative.EnsureLoaded();
        fixed (byte* i = Utf8(input))
        fixed (byte* o = Utf8(output))
        {
            return LlamaNative.llama_model_quantize(i, o, &parameters);
        }
    }

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    internal static string Str(byte* p) => Marshal.PtrToStringUTF8((IntPtr)p) ?? "";

    private static object ReadValue(IntPtr ctx, long i, GgufValueType type, GgufValueType? elementType)
    {
        switch (type)
        {
            case GgufValueType.String:
                return Str(LlamaNative.gguf_get_val_str(ctx, i));
            case GgufValueType.Array:
            {
                int n = (int)LlamaNative.gguf_get_arr_n(ctx, i);
                if (elementType == GgufValueType.String)
                {
                    var strings = new string[n];
                    for (int k = 0; k < n; k++)
                    {
                        strings[k] = Str(LlamaNative.gguf_get_arr_str(ctx, i, (nuint)k));
                    }
                    return strings;
                }
                var et = elementType!.Value;
                int size = et == GgufValueType.Bool ? 1 : FixedSize(et);
                var bytes = new ReadOnlySpan<byte>(LlamaNative.gguf_get_arr_data(ctx, i), n * size);
                return et switch
                {
                    GgufValueType.UInt8 => bytes.ToArray(),
                    GgufValueType.Int8 => MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(),
                    GgufValueType.UInt16 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(),
                    GgufValueType.Int16 => MemoryMarshal.Cast<byte, short>(bytes).ToArray(),
                    GgufValueType.UInt32 => MemoryMarshal.Cast<byte, uint>(bytes).ToArray(),
                    GgufValueType.Int32 => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
                    GgufValueType.Float32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                    GgufValueType.UInt64 => MemoryMarshal.Cast<byte, ulong>(bytes).ToArray(),
                    GgufValueType.Int64 => MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
                    GgufValueType.Float64 => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
                    GgufValueType.Bool => bytes.ToArray().Select(b => b != 0).ToArray(),
                    _ => throw new NotSupportedException($"Oracle cannot read arrays of {et}."),
                };
            }
            default:
            {
                var p = (byte*)LlamaNative.gguf_get_val_data(ctx, i);
                return type switch
                {
                    GgufValueType.UInt8 => *p,
                    GgufValueType.Int8 => *(sbyte*)p,
                    GgufValueType.UInt16 => *(ushort*)p,
                    GgufValueType.Int16 => *(short*)p,
                    GgufValueType.UInt32 => *(uint*)p,
                    GgufValueType.Int32 => *(int*)p,
                    GgufValueType.Float32 => *(float*)p,
                    GgufValueType.Bool => *p != 0,
                    GgufValueType.UInt64 => *(ulong*)p,
                    GgufValueType.Int64 => *(long*)p,
                    GgufValueType.Float64 => *(double*)p,
                    _ => throw new NotSupportedException($"Oracle cannot read {type}."),
                };
            }
        }
    }

    private static int FixedSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        _ => 8,
    };
}
