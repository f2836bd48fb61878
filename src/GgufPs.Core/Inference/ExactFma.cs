using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// a·b + c with one rounding on four floats, for the Vector128 kernels. ARM64 and x64 with FMA have the
/// instruction; an x64 CPU without it (or .NET told not to use it) would otherwise fall to the runtime's software
/// fallback, a function call per element. Here the product is exact in double, the sum is rounded to odd (the
/// rounding error, found exactly by TwoSum, sets the last bit), and the final rounding to float is then correct.
/// </summary>
internal static class ExactFma
{
    private static readonly bool Hardware = Fma.IsSupported || AdvSimd.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Hardware ? Vector128.FusedMultiplyAdd(a, b, c) : Emulated(a, b, c);

    internal static Vector128<float> Emulated(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Vector128.Narrow(
            RoundToOdd(Vector128.WidenLower(a), Vector128.WidenLower(b), Vector128.WidenLower(c)),
            RoundToOdd(Vector128.WidenUpper(a), Vector128.WidenUpper(b), Vector128.WidenUpper(c)));

    /// <summary>a·b + c rounded to 53 bits with ties and inexact results sent to the odd neighbour.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> RoundToOdd(Vector128<double> a, Vector128<double> b, Vector128<double> c)
    {
        var product = a * b; // 24 × 24 bits: exact
        var sum = product + c;
        var bv = sum - product;
        var error = (product - (sum - bv)) + (c - bv);
        var bits = sum.AsInt64();
        var exponent = Vector128.Create(0x7FF0000000000000L);
        var adjust = ~Vector128.Equals(error, Vector128<double>.Zero).AsInt64()
            & Vector128.Equals(bits & Vector128<long>.One, Vector128<long>.Zero)
            & ~Vector128.Equals(bits & exponent, exponent);
        // Toward the true value: one unit up in magnitude when the error has the sum's sign, down otherwise.
        var step = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(error.AsInt64() ^ bits, Vector128<long>.Zero),
            Vector128<long>.One, Vector128<long>.AllBitsSet);
        return (bits + (step & adjust)).AsDouble();
    }
}
