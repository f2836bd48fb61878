using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>ggml's tensor API (to check <see cref="GgmlTensorLayout"/> and read tensors in the eval callback) and gguf's writer.</summary>
internal static unsafe partial class LlamaNative
{
    [DllImport(GgmlBase)] public static extern IntPtr ggml_init(GgmlInitParams p);
    [DllImport(GgmlBase)] public static extern void ggml_free(IntPtr ctx);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_new_tensor_2d(IntPtr ctx, int type, long ne0, long ne1);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_mul_mat(IntPtr ctx, IntPtr a, IntPtr b);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_set_name(IntPtr tensor, byte* name);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_get_name(IntPtr tensor);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_get_data(IntPtr tensor);
    [DllImport(GgmlBase)] public static extern long ggml_nelements(IntPtr tensor);
    [DllImport(GgmlBase)] public static extern long ggml_nrows(IntPtr tensor);
    [DllImport(GgmlBase)] public static extern nuint ggml_nbytes(IntPtr tensor);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_op_name(int op);
    [DllImport(GgmlBase)] public static extern IntPtr ggml_op_desc(IntPtr tensor);

    [DllImport(GgmlBase)] public static extern IntPtr gguf_init_empty();
    [DllImport(GgmlBase)] public static extern void gguf_set_val_str(IntPtr ctx, byte* key, byte* value);
    [DllImport(GgmlBase)] public static extern void gguf_set_val_u32(IntPtr ctx, byte* key, uint value);
    [DllImport(GgmlBase)] public static extern void gguf_set_arr_str(IntPtr ctx, byte* key, byte** data, nuint n);
    [DllImport(GgmlBase)] public static extern void gguf_add_tensor(IntPtr ctx, IntPtr tensor);
    [DllImport(GgmlBase)] public static extern byte gguf_write_to_file(IntPtr ctx, byte* fname, byte onlyMeta);
}
