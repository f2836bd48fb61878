using System.Runtime.CompilerServices;

namespace GgufPs.Quantization;

/// <summary>
/// The grid formats store magnitudes on the grid and signs apart, eight to a byte. These split a group of eight values
/// into magnitudes (<c>xval</c>) and sign bits the way ggml-quants.c does.
/// </summary>
internal static class SignFolding
{
    /// <summary>
    /// IQ2_XXS, IQ2_XS and IQ3_XXS store 7 sign bits and infer the eighth from an even count of negatives: with an odd
    /// count, the value that matters least (smallest weight·x², the first on ties) keeps the wrong sign. Returns the 7
    /// stored bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte EvenParity(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> xval)
    {
        int negatives = 0;
        int signs = 0;
        for (int i = 0; i < 8; i++)
        {
            if (x[i] >= 0)
            {
                xval[i] = x[i];
            }
            else
            {
                xval[i] = -x[i];
                negatives++;
                signs |= 1 << i;
            }
        }
        if (negatives % 2 != 0)
        {
            int imin = 0;
            float min = weight[0] * x[0] * x[0];
            for (int i = 1; i < 8; i++)
            {
                float ax = weight[i] * x[i] * x[i];
                if (ax < min)
                {
                    min = ax;
                    imin = i;
                }
            }
            xval[imin] = -xval[imin];
            signs ^= 1 << imin;
        }
        return (byte)(signs & 127);
    }

    /// <summary>IQ2_S and IQ3_S store all eight sign bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte All(ReadOnlySpan<float> x, Span<float> xval)
    {
        int signs = 0;
        for (int i = 0; i < 8; i++)
        {
            if (x[i] >= 0)
            {
                xval[i] = x[i];
            }
            else
            {
                xval[i] = -x[i];
                signs |= 1 << i;
            }
        }
        return (byte)signs;
    }

    /// <summary>ksigns_iq2xs: the eight sign bits from the seven stored ones, the eighth making the count even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Expand(int stored) => stored | (System.Numerics.BitOperations.PopCount((uint)stored) & 1) << 7;
}
