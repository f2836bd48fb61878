using System.Numerics.Tensors;

namespace GgufPs.Inference;

/// <summary>
/// GELU as ggml's CPU backend computes it (GGML_GELU_FP16): the input is rounded to F16 and looked up in a table of
/// the tanh approximation evaluated at every F16 value; inputs beyond ±10 pass through or become zero.
/// </summary>
internal static unsafe class GeluTable
{
    private const float GeluCoefA = 0.044715f;
    private const float SqrtTwoOverPi = 0.79788456080286535587989211986876f;

    private static readonly float[] Table = Build();

    public static void Apply(float* x, long n)
    {
        const int Chunk = 256;
        Span<Half> halves = stackalloc Half[Chunk];
        var table = Table;
        for (long start = 0; start < n; start += Chunk)
        {
            int count = (int)Math.Min(Chunk, n - start);
            float* v = x + start;
            // TensorPrimitives rounds to F16 a vector at a time; the lookup itself has no vector form.
            TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(v, count), halves[..count]);
            for (int i = 0; i < count; i++)
            {
                if (v[i] <= -10.0f)
                {
                    v[i] = 0.0f;
                }
                else if (v[i] < 10.0f)
                {
                    v[i] = table[BitConverter.HalfToUInt16Bits(halves[i])];
                }
                // ggml keeps the input unchanged from 10 up.
            }
        }
    }

    private static float[] Build()
    {
        var table = new float[1 << 16];
        for (int i = 0; i < table.Length; i++)
        {
            float f = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            float g = 0.5f * f * (1.0f + MathF.Tanh(SqrtTwoOverPi * f * (1.0f + GeluCoefA * f * f)));
            table[i] = (float)(Half)g;
        }
        return table;
    }
}
