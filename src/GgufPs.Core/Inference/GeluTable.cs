using System.Runtime.CompilerServices;

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(float* x, long n)
    {
        for (long i = 0; i < n; i++)
        {
            float v = x[i];
            if (v <= -10.0f)
            {
                x[i] = 0.0f;
            }
            else if (v >= 10.0f)
            {
                // ggml keeps the input unchanged above 10.
            }
            else
            {
                x[i] = Table[BitConverter.HalfToUInt16Bits((Half)v)];
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
