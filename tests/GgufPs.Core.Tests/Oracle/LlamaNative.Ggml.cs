using System.Runtime.InteropServices;

namespace GgufPs.Tests.Oracle;

/// <summary>ggml's tensor API, to check <see cref="GgmlTensorLayout"/> and to read tensors in the eval callback.</summary>
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
}
