using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary><see cref="ISixteenFloats"/> in one AVX-512 register.</summary>
internal readonly unsafe struct SixteenFloats512 : ISixteenFloats
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scaled(Vector128<sbyte> q, float d, float* y) =>
        (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(q)) * d).Store(y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scaled(Vector128<byte> u, int bias, float d, float* y) =>
        (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(u) - Vector512.Create(bias)) * d).Store(y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaledMinus(Vector128<byte> u, float d, float m, float* y) =>
        (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(u)) * d - Vector512.Create(m)).Store(y);
}
