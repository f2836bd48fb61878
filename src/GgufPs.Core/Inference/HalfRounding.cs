using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// Floats rounded to F16 and back, (float)(Half)x, in vector registers, for attention's queries and probabilities
/// (ggml stores both as F16 before their dot products). Normal halves round the float's bits to ten mantissa bits,
/// half to even, overflowing to infinity past 65504 as the conversion does; halves below 2⁻¹⁴ round to multiples of
/// 2⁻²⁴ through one float addition of ½ to the magnitude. Vectors with a NaN take the scalar conversion, whose
/// payload rule they keep. Every width gives the same bits as the scalar conversion.
/// </summary>
internal static unsafe class HalfRounding
{
    private const uint MagnitudeMask = 0x7FFFFFFF;
    private const uint SmallestNormalHalf = 0x38800000; // 2⁻¹⁴
    private const uint LargestHalf = 0x477FE000; // 65504
    private const uint InfinityBits = 0x7F800000;

    /// <summary>y[i] = (float)(Half)x[i] for <paramref name="n"/> values; x and y may be the same.</summary>
    public static void Round(float* x, float* y, int n) => Round(x, y, n, KernelSupport.FloatWidth);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Round(float* x, float* y, int n, VectorWidth width)
    {
        int i = 0;
        if (width == VectorWidth.Vector512)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                if (Vector512.EqualsAll(v, v))
                {
                    Rounded(v).Store(y + i);
                }
                else
                {
                    Scalar(x + i, y + i, 16);
                }
            }
        }
        if (width >= VectorWidth.Vector256)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                if (Vector256.EqualsAll(v, v))
                {
                    Rounded(v).Store(y + i);
                }
                else
                {
                    Scalar(x + i, y + i, 8);
                }
            }
        }
        for (; i + 4 <= n; i += 4)
        {
            var v = Vector128.Load(x + i);
            if (Vector128.EqualsAll(v, v))
            {
                Rounded(v).Store(y + i);
            }
            else
            {
                Scalar(x + i, y + i, 4);
            }
        }
        Scalar(x + i, y + i, n - i);
    }

    private static void Scalar(float* x, float* y, int n)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] = (float)(Half)x[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Rounded(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector512.Create(MagnitudeMask);
        var normal = (magnitude + Vector512.Create(0xFFFu) + ((magnitude >> 13) & Vector512<uint>.One)) & Vector512.Create(~0x1FFFu);
        normal = Vector512.ConditionalSelect(Vector512.GreaterThan(normal, Vector512.Create(LargestHalf)), Vector512.Create(InfinityBits), normal);
        var half = Vector512.Create(0.5f);
        var subnormal = (magnitude.AsSingle() + half - half).AsUInt32();
        var rounded = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(SmallestNormalHalf)), subnormal, normal);
        return (rounded | (bits & Vector512.Create(~MagnitudeMask))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Rounded(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector256.Create(MagnitudeMask);
        var normal = (magnitude + Vector256.Create(0xFFFu) + ((magnitude >> 13) & Vector256<uint>.One)) & Vector256.Create(~0x1FFFu);
        normal = Vector256.ConditionalSelect(Vector256.GreaterThan(normal, Vector256.Create(LargestHalf)), Vector256.Create(InfinityBits), normal);
        var half = Vector256.Create(0.5f);
        var subnormal = (magnitude.AsSingle() + half - half).AsUInt32();
        var rounded = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(SmallestNormalHalf)), subnormal, normal);
        return (rounded | (bits & Vector256.Create(~MagnitudeMask))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Rounded(Vector128<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector128.Create(MagnitudeMask);
        var normal = (magnitude + Vector128.Create(0xFFFu) + ((magnitude >> 13) & Vector128<uint>.One)) & Vector128.Create(~0x1FFFu);
        normal = Vector128.ConditionalSelect(Vector128.GreaterThan(normal, Vector128.Create(LargestHalf)), Vector128.Create(InfinityBits), normal);
        var half = Vector128.Create(0.5f);
        var subnormal = (magnitude.AsSingle() + half - half).AsUInt32();
        var rounded = Vector128.ConditionalSelect(Vector128.LessThan(magnitude, Vector128.Create(SmallestNormalHalf)), subnormal, normal);
        return (rounded | (bits & Vector128.Create(~MagnitudeMask))).AsSingle();
    }
}
