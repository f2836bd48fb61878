using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Oracle;

/// <summary>
/// P/Invoke declarations for the llama.cpp libraries that LLamaSharp.Backend.Cpu ships. The best variant the CPU has
/// (avx512, avx2, avx, noavx) is loaded from llama.cpp/&lt;variant&gt;/ beside the test assembly.
/// </summary>
internal static unsafe partial class LlamaNative
{
    private const string GgmlBase = "ggml-base";
    private const string Llama = "llama";

    private static readonly object Gate = new();
    private static IntPtr _ggmlBase;
    private static IntPtr _llama;

    /// <summary>Which variant folder was loaded.</summary>
    public static string Variant { get; private set; } = "";

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_llama != IntPtr.Zero)
            {
                return;
            }
            string root = Path.Combine(AppContext.BaseDirectory, "llama.cpp");
            // The CPU's own features, not .NET's view of them: runs of the engine with AVX-512 or AVX2 switched off in
            // .NET (DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0) still compare it with llama.cpp's build for this CPU,
            // whose arithmetic the engine reproduces on every instruction set.
            int leaf7 = X86Base.IsSupported ? X86Base.CpuId(7, 0).Ebx : 0;
            int leaf1 = X86Base.IsSupported ? X86Base.CpuId(1, 0).Ecx : 0;
            Variant = (leaf7 & (1 << 16)) != 0 && (leaf7 & (1 << 30)) != 0 ? "avx512"
                : (leaf7 & (1 << 5)) != 0 ? "avx2"
                : (leaf1 & (1 << 28)) != 0 ? "avx"
                : "noavx";
            string dir = Path.Combine(root, Variant);
            // libllama's RUNPATH is $ORIGIN, so loading it by full path finds its ggml siblings.
            _ggmlBase = NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
            NativeLibrary.Load(Path.Combine(dir, "libggml-cpu.so"));
            NativeLibrary.Load(Path.Combine(dir, "libggml.so"));
            _llama = NativeLibrary.Load(Path.Combine(dir, "libllama.so"));
            NativeLibrary.SetDllImportResolver(typeof(LlamaNative).Assembly, Resolve);
            ggml_log_set(&Silence, null);
            llama_log_set(&Silence, null);
            llama_backend_init();
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) => name switch
    {
        GgmlBase => _ggmlBase,
        Llama => _llama,
        _ => IntPtr.Zero,
    };

    // llama.cpp logs every load and quantization step to stderr; the tests only need return codes.
    [UnmanagedCallersOnly]
    private static void Silence(int level, byte* text, void* userData)
    {
    }

    [DllImport(GgmlBase)] public static extern void ggml_log_set(delegate* unmanaged<int, byte*, void*, void> callback, void* userData);
    [DllImport(GgmlBase)] public static extern byte* ggml_type_name(int type);
    [DllImport(GgmlBase)] public static extern long ggml_blck_size(int type);
    [DllImport(GgmlBase)] public static extern nuint ggml_type_size(int type);
    [DllImport(GgmlBase)] public static extern nuint ggml_quantize_chunk(int type, float* src, void* dst, long start, long nrows, long nPerRow, float* imatrix);
    [DllImport(GgmlBase)] public static extern byte ggml_quantize_requires_imatrix(int type);

    [DllImport(GgmlBase)] public static extern IntPtr gguf_init_from_file(byte* fname, GgufInitParams p);
    [DllImport(GgmlBase)] public static extern void gguf_free(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern uint gguf_get_version(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern nuint gguf_get_alignment(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern nuint gguf_get_data_offset(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern long gguf_get_n_kv(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern byte* gguf_get_key(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern int gguf_get_kv_type(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern int gguf_get_arr_type(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern nuint gguf_get_arr_n(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern void* gguf_get_arr_data(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern byte* gguf_get_arr_str(IntPtr ctx, long id, nuint i);
    [DllImport(GgmlBase)] public static extern byte* gguf_get_val_str(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern void* gguf_get_val_data(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern long gguf_get_n_tensors(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern byte* gguf_get_tensor_name(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern nuint gguf_get_tensor_offset(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern int gguf_get_tensor_type(IntPtr ctx, long id);
    [DllImport(GgmlBase)] public static extern nuint gguf_get_tensor_size(IntPtr ctx, long id);

    [DllImport(Llama)] public static extern void llama_backend_init();
    [DllImport(Llama)] public static extern void llama_log_set(delegate* unmanaged<int, byte*, void*, void> callback, void* userData);
    [DllImport(Llama)] public static extern LlamaModelParams llama_model_default_params();
    [DllImport(Llama)] public static extern LlamaContextParams llama_context_default_params();
    [DllImport(Llama)] public static extern LlamaModelQuantizeParams llama_model_quantize_default_params();
    [DllImport(Llama)] public static extern IntPtr llama_model_load_from_file(byte* path, LlamaModelParams p);
    [DllImport(Llama)] public static extern void llama_model_free(IntPtr model);
    [DllImport(Llama)] public static extern IntPtr llama_init_from_model(IntPtr model, LlamaContextParams p);
    [DllImport(Llama)] public static extern void llama_free(IntPtr ctx);
    [DllImport(Llama)] public static extern IntPtr llama_model_get_vocab(IntPtr model);
    [DllImport(Llama)] public static extern int llama_vocab_n_tokens(IntPtr vocab);
    [DllImport(Llama)] public static extern int llama_model_n_embd(IntPtr model);
    [DllImport(Llama)] public static extern int llama_tokenize(IntPtr vocab, byte* text, int textLength, int* tokens, int maxTokens, byte addSpecial, byte parseSpecial);
    [DllImport(Llama)] public static extern int llama_token_to_piece(IntPtr vocab, int token, byte* buffer, int length, int lstrip, byte special);
    [DllImport(Llama)] public static extern int llama_decode(IntPtr ctx, LlamaBatch batch);
    [DllImport(Llama)] public static extern float* llama_get_logits(IntPtr ctx);
    [DllImport(Llama)] public static extern float* llama_get_logits_ith(IntPtr ctx, int i);
    [DllImport(Llama)] public static extern IntPtr llama_get_memory(IntPtr ctx);
    [DllImport(Llama)] public static extern void llama_memory_clear(IntPtr memory, byte data);
    [DllImport(Llama)] public static extern uint llama_model_quantize(byte* input, byte* output, LlamaModelQuantizeParams* p);
}
