using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary><see cref="ISixteenFloats"/> in two AVX2 registers.</summary>
internal readonly unsafe struct SixteenFloats256 : ISixteenFloats
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scaled(Vector128<sbyte> q, float d, float* y)
    {
        (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(q)) * d).Store(y);
        (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(q, 8))) * d).Store(y + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scaled(Vector128<byte> u, int bias, float d, float* y)
    {
        var b = Vector256.Create(bias);
        (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(u) - b) * d).Store(y);
        (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(u, 8)) - b) * d).Store(y + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaledMinus(Vector128<byte> u, float d, float m, float* y)
    {
        var min = Vector256.Create(m);
        (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(u)) * d - min).Store(y);
        (Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(u, 8))) * d - min).Store(y + 8);
    }
}
