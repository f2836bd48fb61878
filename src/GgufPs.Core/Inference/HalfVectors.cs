using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// F16 to F32 in vector registers, exactly (zeros, subnormals, infinities and NaNs included), at each register width.
/// .NET exposes no F16C instructions, so the bits are moved with integer operations: normal values shift into place
/// and take the exponent's new bias, subnormal ones are converted from their integer mantissa (never a denormal
/// float operand, which costs Intel cores a microcode assist per instruction), and the sign is put back last.
/// </summary>
internal static unsafe class HalfVectors
{
    private const uint ExponentMantissa = 0x7FFF;
    private const uint Rebias = (127 - 15) << 23;
    private const uint InfinityBits = 0x7C00;
    private const uint SmallestNormal = 0x0400;
    private const float SubnormalUnit = 1.0f / (1 << 24);

    /// <summary>y[i] = h[i] as float for <paramref name="n"/> values.</summary>
    public static void ToSingle(ushort* h, float* y, int n) => ToSingle(h, y, n, KernelSupport.FloatWidth);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ToSingle(ushort* h, float* y, int n, VectorWidth width)
    {
        int i = 0;
        if (width == VectorWidth.Vector512)
        {
            for (; i + 32 <= n; i += 32)
            {
                Load512Pair(h + i, out var lower, out var upper);
                lower.Store(y + i);
                upper.Store(y + i + 16);
            }
            for (; i + 16 <= n; i += 16)
            {
                Load512(h + i).Store(y + i);
            }
        }
        if (width >= VectorWidth.Vector256)
        {
            for (; i + 16 <= n; i += 16)
            {
                Load256Pair(h + i, out var lower, out var upper);
                lower.Store(y + i);
                upper.Store(y + i + 8);
            }
            for (; i + 8 <= n; i += 8)
            {
                Load256(h + i).Store(y + i);
            }
        }
        for (; i + 4 <= n; i += 4)
        {
            Load128(h + i).Store(y + i);
        }
        for (; i < n; i++)
        {
            y[i] = (float)BitConverter.UInt16BitsToHalf(h[i]);
        }
    }

    /// <summary>Sixteen halves from <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ushort* h) => Widened512(Avx512F.ConvertToVector512UInt32(Vector256.Load(h)));

    /// <summary>Eight halves from <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ushort* h) => Widened256(Avx2.ConvertToVector256Int32(Vector128.Load(h)).AsUInt32());

    /// <summary>Four halves from <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(ushort* h) => Widened128(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)h).AsUInt16()));

    /// <summary>
    /// Thirty-two halves from <paramref name="h"/>, the first sixteen in <paramref name="lower"/>. Weights are almost
    /// all normal numbers, which need only a shift and the exponent's new bias; a test of the thirty-two at once
    /// sends the rare group holding a zero, subnormal, infinity or NaN through <see cref="Widened512"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load512Pair(ushort* h, out Vector512<float> lower, out Vector512<float> upper)
    {
        if (Vector512.EqualsAny(ExponentPlusOne(Vector512.Load(h)), Vector512<ushort>.Zero))
        {
            lower = Load512(h);
            upper = Load512(h + 16);
            return;
        }
        lower = Normal(Avx512F.ConvertToVector512UInt32(Vector256.Load(h)).AsInt32());
        upper = Normal(Avx512F.ConvertToVector512UInt32(Vector256.Load(h + 16)).AsInt32());
    }

    /// <summary>Sixteen halves from <paramref name="h"/> as two vectors of eight, as <see cref="Load512Pair"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load256Pair(ushort* h, out Vector256<float> lower, out Vector256<float> upper)
    {
        if (Vector256.EqualsAny(ExponentPlusOne(Vector256.Load(h)), Vector256<ushort>.Zero))
        {
            lower = Load256(h);
            upper = Load256(h + 8);
            return;
        }
        lower = Normal(Avx2.ConvertToVector256Int32(Vector128.Load(h)));
        upper = Normal(Avx2.ConvertToVector256Int32(Vector128.Load(h + 8)));
    }

    /// <summary>
    /// The top four bits of each half's exponent after adding one to it: zero exactly for exponents 0 (zero,
    /// subnormal) and 31 (infinity, NaN), which wraps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> ExponentPlusOne(Vector512<ushort> h) => (h + Vector512.Create((ushort)0x0400)) & Vector512.Create((ushort)0x7800);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ushort> ExponentPlusOne(Vector256<ushort> h) => (h + Vector256.Create((ushort)0x0400)) & Vector256.Create((ushort)0x7800);

    /// <summary>
    /// Normal halves, zero-extended to 32-bit lanes, as floats: shifted to the top of the lane, an arithmetic shift
    /// by three puts the exponent and mantissa in place and copies the sign over the exponent's three new high bits,
    /// which the mask clears; the exponent then takes float's bias.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Normal(Vector512<int> w) =>
        ((Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(w, 16), 3) & Vector512.Create(unchecked((int)0x8FFFE000))) + Vector512.Create((int)Rebias)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Normal(Vector256<int> w) =>
        ((Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(w, 16), 3) & Vector256.Create(unchecked((int)0x8FFFE000))) + Vector256.Create((int)Rebias)).AsSingle();

    /// <summary>Halves already zero-extended to 32-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widened512(Vector512<uint> w)
    {
        var em = w & Vector512.Create(ExponentMantissa);
        var bits = Vector512.ShiftLeft(em, 13) + Vector512.Create(Rebias);
        bits += Vector512.GreaterThan(em.AsInt32(), Vector512.Create((int)InfinityBits - 1)).AsUInt32() & Vector512.Create(Rebias);
        var small = (Vector512.ConvertToSingle(em.AsInt32()) * Vector512.Create(SubnormalUnit)).AsUInt32();
        bits = Vector512.ConditionalSelect(Vector512.LessThan(em.AsInt32(), Vector512.Create((int)SmallestNormal)).AsUInt32(), small, bits);
        return (bits | Vector512.ShiftLeft(w ^ em, 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widened256(Vector256<uint> w)
    {
        var em = w & Vector256.Create(ExponentMantissa);
        var bits = Vector256.ShiftLeft(em, 13) + Vector256.Create(Rebias);
        bits += Vector256.GreaterThan(em.AsInt32(), Vector256.Create((int)InfinityBits - 1)).AsUInt32() & Vector256.Create(Rebias);
        var small = (Vector256.ConvertToSingle(em.AsInt32()) * Vector256.Create(SubnormalUnit)).AsUInt32();
        bits = Vector256.ConditionalSelect(Vector256.LessThan(em.AsInt32(), Vector256.Create((int)SmallestNormal)).AsUInt32(), small, bits);
        return (bits | Vector256.ShiftLeft(w ^ em, 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Widened128(Vector128<uint> w)
    {
        var em = w & Vector128.Create(ExponentMantissa);
        var bits = Vector128.ShiftLeft(em, 13) + Vector128.Create(Rebias);
        bits += Vector128.GreaterThan(em.AsInt32(), Vector128.Create((int)InfinityBits - 1)).AsUInt32() & Vector128.Create(Rebias);
        var small = (Vector128.ConvertToSingle(em.AsInt32()) * Vector128.Create(SubnormalUnit)).AsUInt32();
        bits = Vector128.ConditionalSelect(Vector128.LessThan(em.AsInt32(), Vector128.Create((int)SmallestNormal)).AsUInt32(), small, bits);
        return (bits | Vector128.ShiftLeft(w ^ em, 16)).AsSingle();
    }
}
