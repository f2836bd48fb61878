namespace GgufPs.Oracle;

/// <summary>
/// Field offsets of struct ggml_tensor in the bundled ggml (type, buffer, ne[4], nb[4], op, op_params[16], flags,
/// src[10], view_src, view_offs, data, name[64], extra). OracleLayoutTests checks each against ggml's own accessors.
/// </summary>
internal static unsafe class GgmlTensorLayout
{
    public const int TypeOffset = 0;
    public const int NeOffset = 16;
    public const int NbOffset = 48;
    public const int OpOffset = 80;
    public const int SrcOffset = 152;
    public const int DataOffset = 248;
    public const int NameOffset = 256;

    public static int TypeOf(IntPtr t) => *(int*)((byte*)t + TypeOffset);

    public static long Ne(IntPtr t, int i) => *(long*)((byte*)t + NeOffset + 8 * i);

    public static long Nb(IntPtr t, int i) => *(long*)((byte*)t + NbOffset + 8 * i);

    public static int OpOf(IntPtr t) => *(int*)((byte*)t + OpOffset);

    public static IntPtr SrcOf(IntPtr t, int i) => *(IntPtr*)((byte*)t + SrcOffset + 8 * i);

    public static IntPtr DataOf(IntPtr t) => *(IntPtr*)((byte*)t + DataOffset);

    public static string NameOf(IntPtr t) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)((byte*)t + NameOffset)) ?? "";
}
