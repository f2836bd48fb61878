namespace GgufPs.Tests.Conversion;

/// <summary>torch.float8_e4m3fn written out from its definition: 4 exponent bits (bias 7), 3 mantissa bits, no infinities.</summary>
internal static class Float8E4M3
{
    // Finite codes sorted by value, for a binary search; -0 is dropped so 0 maps to code 0.
    private static readonly (float Value, byte Code)[] Sorted = Enumerable.Range(0, 256)
        .Select(b => (Value: Decode((byte)b), Code: (byte)b))
        .Where(p => !float.IsNaN(p.Value) && p.Code != 0x80)
        .OrderBy(p => p.Value)
        .ToArray();

    public static float Decode(byte b)
    {
        int sign = b >> 7, exponent = (b >> 3) & 15, mantissa = b & 7;
        if (exponent == 15 && mantissa == 7)
        {
            return float.NaN;
        }
        float magnitude = exponent == 0 ? mantissa / 8f * MathF.Pow(2, -6) : (1 + mantissa / 8f) * MathF.Pow(2, exponent - 7);
        return sign == 1 ? -magnitude : magnitude;
    }

    /// <summary>The code whose value is nearest (the smaller on ties); NaN codes are never chosen.</summary>
    public static byte Nearest(float value)
    {
        int lo = 0, hi = Sorted.Length - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (Sorted[mid].Value <= value)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return Math.Abs(Sorted[hi].Value - value) < Math.Abs(Sorted[lo].Value - value) ? Sorted[hi].Code : Sorted[lo].Code;
    }
}
