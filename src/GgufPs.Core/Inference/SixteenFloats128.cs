using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary><see cref="ISixteenFloats"/> in four 128-bit registers (AdvSimd on ARM64, SSE on x64).</summary>
internal readonly unsafe struct SixteenFloats128 : ISixteenFloats
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scaled(Vector128<sbyte> q, float d, float* y)
    {
        var low = Vector128.WidenLower(q);
        var high = Vector128.WidenUpper(q);
        (Vector128.ConvertToSingle(Vector128.WidenLower(low)) * d).Store(y);
        (Vector128.ConvertToSingle(Vector128.WidenUpper(low)) * d).Store(y + 4);
        (Vector128.ConvertToSingle(Vector128.WidenLower(high)) * d).Store(y + 8);
        (Vector128.ConvertToSingle(Vector128.WidenUpper(high)) * d).Store(y + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scaled(Vector128<byte> u, int bias, float d, float* y)
    {
        var b = Vector128.Create(bias);
        var low = Vector128.WidenLower(u);
        var high = Vector128.WidenUpper(u);
        (Vector128.ConvertToSingle(Vector128.WidenLower(low).AsInt32() - b) * d).Store(y);
        (Vector128.ConvertToSingle(Vector128.WidenUpper(low).AsInt32() - b) * d).Store(y + 4);
        (Vector128.ConvertToSingle(Vector128.WidenLower(high).AsInt32() - b) * d).Store(y + 8);
        (Vector128.ConvertToSingle(Vector128.WidenUpper(high).AsInt32() - b) * d).Store(y + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaledMinus(Vector128<byte> u, float d, float m, float* y)
    {
        var min = Vector128.Create(m);
        var low = Vector128.WidenLower(u);
        var high = Vector128.WidenUpper(u);
        (Vector128.ConvertToSingle(Vector128.WidenLower(low).AsInt32()) * d - min).Store(y);
        (Vector128.ConvertToSingle(Vector128.WidenUpper(low).AsInt32()) * d - min).Store(y + 4);
        (Vector128.ConvertToSingle(Vector128.WidenLower(high).AsInt32()) * d - min).Store(y + 8);
        (Vector128.ConvertToSingle(Vector128.WidenUpper(high).AsInt32()) * d - min).Store(y + 12);
    }
}
