using System.Runtime.InteropServices;
using System.Text;
using GgufPs.Oracle;

namespace GgufPs.Tests;

/// <summary>Checks every ggml_tensor field offset the imatrix reference reads against ggml's own accessors.</summary>
public class GgmlTensorLayoutTests
{
    [Fact]
    public unsafe void TensorFieldsAreWhereGgmlPutsThem()
    {
        LlamaNative.EnsureLoaded();
        IntPtr ctx = LlamaNative.ggml_init(new GgmlInitParams { MemSize = 1 << 20, MemBuffer = IntPtr.Zero, NoAlloc = 0 });
        Assert.NotEqual(IntPtr.Zero, ctx);
        try
        {
            IntPtr weight = LlamaNative.ggml_new_tensor_2d(ctx, (int)GgmlType.F16, 32, 3);
            IntPtr input = LlamaNative.ggml_new_tensor_2d(ctx, (int)GgmlType.F32, 32, 17);
            fixed (byte* name = Encoding.UTF8.GetBytes("blk.0.attn_q.weight\0"))
            {
                LlamaNative.ggml_set_name(weight, name);
            }
            IntPtr product = LlamaNative.ggml_mul_mat(ctx, weight, input);

            Assert.Equal(LlamaNative.ggml_get_name(weight), weight + GgmlTensorLayout.NameOffset);
            Assert.Equal("blk.0.attn_q.weight", GgmlTensorLayout.NameOf(weight));
            Assert.Equal(LlamaNative.ggml_get_data(input), GgmlTensorLayout.DataOf(input));
            Assert.NotEqual(IntPtr.Zero, GgmlTensorLayout.DataOf(input));
            Assert.Equal((int)GgmlType.F16, GgmlTensorLayout.TypeOf(weight));
            Assert.Equal((int)GgmlType.F32, GgmlTensorLayout.TypeOf(input));
            Assert.Equal([32L, 17, 1, 1], Enumerable.Range(0, 4).Select(i => GgmlTensorLayout.Ne(input, i)));
            Assert.Equal(LlamaNative.ggml_nelements(input), GgmlTensorLayout.Ne(input, 0) * GgmlTensorLayout.Ne(input, 1));
            Assert.Equal(LlamaNative.ggml_nrows(input), GgmlTensorLayout.Ne(input, 1));
            Assert.Equal([4L, 128, 128 * 17, 128 * 17], Enumerable.Range(0, 4).Select(i => GgmlTensorLayout.Nb(input, i)));
            Assert.Equal((long)LlamaNative.ggml_nbytes(input), GgmlTensorLayout.Nb(input, 3));
            Assert.Equal([3L, 17, 1, 1], Enumerable.Range(0, 4).Select(i => GgmlTensorLayout.Ne(product, i)));

            Assert.Equal("MUL_MAT", Marshal.PtrToStringUTF8(LlamaNative.ggml_op_desc(product)));
            Assert.Equal("MUL_MAT", Marshal.PtrToStringUTF8(LlamaNative.ggml_op_name(GgmlTensorLayout.OpOf(product))));
            Assert.Equal("NONE", Marshal.PtrToStringUTF8(LlamaNative.ggml_op_name(GgmlTensorLayout.OpOf(input))));
            Assert.Equal(weight, GgmlTensorLayout.SrcOf(product, 0));
            Assert.Equal(input, GgmlTensorLayout.SrcOf(product, 1));
            Assert.Equal(IntPtr.Zero, GgmlTensorLayout.SrcOf(product, 2));
        }
        finally
        {
            LlamaNative.ggml_free(ctx);
        }
    }

    [Fact]
    public void EvalCallbackFieldsAreUnsetByDefault()
    {
        LlamaNative.EnsureLoaded();
        var p = LlamaNative.llama_context_default_params();
        Assert.Equal(IntPtr.Zero, p.CbEval);
        Assert.Equal(IntPtr.Zero, p.CbEvalUserData);
    }
}
