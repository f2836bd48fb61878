using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Quantization;

/// <summary>Finds NaN and infinity in float rows quickly: the exponent bits are all ones exactly for those.</summary>
internal static class FloatValidation
{
    /// <summary>The index of the first NaN or infinity, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FindNonFinite(ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var mask = Vector512.Create(0x7f800000u);
            for (; i <= bits.Length - Vector512<uint>.Count; i += Vector512<uint>.Count)
            {
                var v = Vector512.Create(bits.Slice(i, Vector512<uint>.Count)) & mask;
                if (Vector512.EqualsAny(v, mask))
                {
                    break;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(0x7f800000u);
            for (; i <= bits.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
            {
                var v = Vector256.Create(bits.Slice(i, Vector256<uint>.Count)) & mask;
                if (Vector256.EqualsAny(v, mask))
                {
                    break;
                }
            }
        }
        for (; i < bits.Length; i++)
        {
            if ((bits[i] & 0x7f800000u) == 0x7f800000u)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The same for F16 bits (exponent 0x7C00) and BF16 bits (exponent 0x7F80).</summary>
    public static int FindNonFinite16(ReadOnlySpan<ushort> values, ushort exponentMask)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if ((values[i] & exponentMask) == exponentMask)
            {
                return i;
            }
        }
        return -1;
    }
}
