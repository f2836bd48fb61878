using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// Activations quantized for integer dot products, as ggml-cpu quantizes them: Q8_K (blocks of 256 with a float
/// scale, for the K-quants) or Q8_0 (blocks of 32 with an F16 scale, for Q4_0/Q5_0/Q8_0). Per token: the int8
/// values, the scale of each block, and the sum of the values of each group of <see cref="GroupSize"/>.
/// </summary>
internal sealed unsafe class QuantizedActivations : IDisposable
{
    private readonly IntPtr _memory;

    /// <summary>Quantizes <paramref name="tokens"/> rows of x; rows up to <paramref name="paddedTokens"/> are zero.</summary>
    public QuantizedActivations(float* x, int tokens, int paddedTokens, int columns, bool kQuant, int groupSize, int threads)
    {
        Tokens = paddedTokens;
        QuantizedTokens = tokens;
        KQuant = kQuant;
        Columns = columns;
        BlockSize = kQuant ? 256 : 32;
        GroupSize = groupSize;
        BlocksPerToken = columns / BlockSize;
        GroupsPerToken = columns / groupSize;
        long valueBytes = (long)paddedTokens * columns;
        long scaleBytes = (long)paddedTokens * BlocksPerToken * sizeof(float);
        long sumBytes = (long)paddedTokens * GroupsPerToken * sizeof(int);
        _memory = (IntPtr)NativeMemory.AlignedAlloc((nuint)(valueBytes + 2 * scaleBytes + 2 * sumBytes + 64), 64);
        Values = (sbyte*)_memory;
        Scales = (float*)((byte*)_memory + valueBytes);
        BlockSums = (float*)((byte*)Scales + scaleBytes);
        Sums = (int*)((byte*)BlockSums + scaleBytes);
        ScaledSums = (float*)((byte*)Sums + sumBytes);
        if (paddedTokens > tokens)
        {
            new Span<sbyte>(Values + (long)tokens * columns, (paddedTokens - tokens) * columns).Clear();
            new Span<float>(Scales + (long)tokens * BlocksPerToken, (paddedTokens - tokens) * BlocksPerToken).Clear();
            new Span<float>(BlockSums + (long)tokens * BlocksPerToken, (paddedTokens - tokens) * BlocksPerToken).Clear();
            new Span<int>(Sums + (long)tokens * GroupsPerToken, (paddedTokens - tokens) * GroupsPerToken).Clear();
            new Span<float>(ScaledSums + (long)tokens * GroupsPerToken, (paddedTokens - tokens) * GroupsPerToken).Clear();
        }
        int groupsPerBlock = BlockSize / groupSize;
        Parallel.For(0, tokens, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, t =>
        {
            float* row = x + (long)t * columns;
            for (int b = 0; b < BlocksPerToken; b++)
            {
                if (kQuant)
                {
                    QuantizeQ8K(row + b * 256, Values + (long)t * columns + b * 256, out Scales[(long)t * BlocksPerToken + b]);
                }
                else
                {
                    QuantizeQ8_0(row + b * 32, Values + (long)t * columns + b * 32, out Scales[(long)t * BlocksPerToken + b], out BlockSums[(long)t * BlocksPerToken + b]);
                }
            }
            sbyte* q = Values + (long)t * columns;
            int* sums = Sums + (long)t * GroupsPerToken;
            float* scaled = ScaledSums + (long)t * GroupsPerToken;
            float* d = Scales + (long)t * BlocksPerToken;
            for (int g = 0; g < GroupsPerToken; g++)
            {
                sums[g] = Sum(q + g * groupSize, groupSize);
                scaled[g] = d[g / groupsPerBlock] * sums[g];
            }
        });
    }

    /// <summary>The tokens stored, padding included.</summary>
    public int Tokens { get; }

    /// <summary>The tokens quantized from x; the rest up to <see cref="Tokens"/> are zero padding.</summary>
    public int QuantizedTokens { get; }

    /// <summary>Q8_K blocks of 256 (the K-quants, IQ4_XS) rather than Q8_0 blocks of 32.</summary>
    public bool KQuant { get; }

    public int Columns { get; }

    public int BlockSize { get; }

    public int GroupSize { get; }

    public int BlocksPerToken { get; }

    public int GroupsPerToken { get; }

    /// <summary>tokens × columns int8 values, token-major.</summary>
    public sbyte* Values { get; }

    /// <summary>tokens × blocks scales (Q8_0's F16 scale already widened).</summary>
    public float* Scales { get; }

    /// <summary>tokens × blocks Q8_1 sums s = F16(d·Σq), which ggml uses for the minimum of Q4_1 and Q5_1.</summary>
    public float* BlockSums { get; }

    /// <summary>tokens × groups sums of the int8 values.</summary>
    public int* Sums { get; }

    /// <summary>tokens × groups: each group's sum times its block's scale, d_a·Σq in float, which the K-quants' offsets take.</summary>
    public float* ScaledSums { get; }

    public void Dispose() => NativeMemory.AlignedFree((void*)_memory);

    /// <summary>The sum of <paramref name="count"/> int8 values (16 or 32, the group and Q8_0 block sizes).</summary>
    internal static int Sum(sbyte* values, int count)
    {
        int i = 0;
        var total = Vector128<short>.Zero;
        for (; i + 16 <= count; i += 16)
        {
            var v = Vector128.Load(values + i);
            total += Vector128.WidenLower(v) + Vector128.WidenUpper(v);
        }
        int s = Vector128.Sum(Vector128.WidenLower(total) + Vector128.WidenUpper(total));
        for (; i < count; i++)
        {
            s += values[i];
        }
        return s;
    }

    /// <summary>quantize_row_q8_K: the largest magnitude (its first occurrence) becomes -127, round half to even, d = 1/iscale.</summary>
    internal static void QuantizeQ8K(float* x, sbyte* q, out float d) => QuantizeQ8K(x, q, out d, KernelSupport.FloatWidth);

    /// <summary>The same with the vectors of one width (tests compare them).</summary>
    internal static void QuantizeQ8K(float* x, sbyte* q, out float d, VectorWidth width)
    {
        bool done = width switch
        {
            VectorWidth.Vector512 => TryQuantizeQ8K512(x, q, out d),
            VectorWidth.Vector256 => TryQuantizeQ8K256(x, q, out d),
            _ => TryQuantizeQ8K128(x, q, out d),
        };
        if (!done)
        {
            QuantizeQ8KScalar(x, q, out d);
        }
    }

    /// <summary>
    /// The same with AVX-512: the same float operations per value (the product, then the add of 1.5·2²³ that rounds),
    /// so the bytes are the scalar path's. False when the block's largest magnitude cannot be found again (NaN).
    /// </summary>
    private static bool TryQuantizeQ8K512(float* x, sbyte* q, out float d)
    {
        var amaxV = Vector512<float>.Zero;
        for (int j = 0; j < 256; j += 16)
        {
            amaxV = Vector512.Max(amaxV, Vector512.Abs(Vector512.Load(x + j)));
        }
        float amax = 0;
        for (int i = 0; i < 16; i++)
        {
            amax = MathF.Max(amax, amaxV[i]);
        }
        d = 0;
        if (amax == 0)
        {
            new Span<sbyte>(q, 256).Clear();
            return true;
        }
        var target = Vector512.Create(amax);
        float max = float.NaN;
        for (int j = 0; j < 256; j += 16)
        {
            ulong hits = Vector512.Equals(Vector512.Abs(Vector512.Load(x + j)), target).ExtractMostSignificantBits();
            if (hits != 0)
            {
                max = x[j + BitOperations.TrailingZeroCount(hits)];
                break;
            }
        }
        if (float.IsNaN(max))
        {
            return false;
        }
        float iscale = -127.0f / max;
        var scale = Vector512.Create(iscale);
        var magic = Vector512.Create(12582912f);
        var mantissa = Vector512.Create(0x007fffff);
        var offset = Vector512.Create(0x00400000);
        var top = Vector512.Create(127);
        for (int j = 0; j < 256; j += 16)
        {
            var shifted = Vector512.Load(x + j) * scale + magic;
            var value = Vector512.Min((shifted.AsInt32() & mantissa) - offset, top);
            Avx512F.ConvertToVector128SByte(value).Store(q + j);
        }
        d = 1 / iscale;
        return true;
    }

    /// <summary>The same with AVX2, eight values a step.</summary>
    private static bool TryQuantizeQ8K256(float* x, sbyte* q, out float d)
    {
        var amaxV = Vector256<float>.Zero;
        for (int j = 0; j < 256; j += 8)
        {
            amaxV = Vector256.Max(amaxV, Vector256.Abs(Vector256.Load(x + j)));
        }
        float amax = 0;
        for (int i = 0; i < 8; i++)
        {
            amax = MathF.Max(amax, amaxV[i]);
        }
        d = 0;
        if (amax == 0)
        {
            new Span<sbyte>(q, 256).Clear();
            return true;
        }
        var target = Vector256.Create(amax);
        float max = float.NaN;
        for (int j = 0; j < 256; j += 8)
        {
            uint hits = Vector256.Equals(Vector256.Abs(Vector256.Load(x + j)), target).ExtractMostSignificantBits();
            if (hits != 0)
            {
                max = x[j + BitOperations.TrailingZeroCount(hits)];
                break;
            }
        }
        if (float.IsNaN(max))
        {
            return false;
        }
        float iscale = -127.0f / max;
        var scale = Vector256.Create(iscale);
        var magic = Vector256.Create(12582912f);
        var mantissa = Vector256.Create(0x007fffff);
        var offset = Vector256.Create(0x00400000);
        var top = Vector256.Create(127);
        for (int j = 0; j < 256; j += 32)
        {
            var v0 = Vector256.Min((((Vector256.Load(x + j) * scale) + magic).AsInt32() & mantissa) - offset, top);
            var v1 = Vector256.Min((((Vector256.Load(x + j + 8) * scale) + magic).AsInt32() & mantissa) - offset, top);
            var v2 = Vector256.Min((((Vector256.Load(x + j + 16) * scale) + magic).AsInt32() & mantissa) - offset, top);
            var v3 = Vector256.Min((((Vector256.Load(x + j + 24) * scale) + magic).AsInt32() & mantissa) - offset, top);
            // Values lie in [-127, 127]: narrowing keeps them; Avx2's packs work within 128-bit lanes, so permute back.
            var packed = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(v0, v1), Avx2.PackSignedSaturate(v2, v3));
            Avx2.PermuteVar8x32(packed.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte().Store(q + j);
        }
        d = 1 / iscale;
        return true;
    }

    /// <summary>The same with 128-bit vectors (AdvSimd on ARM64, SSE on x64), four values a step.</summary>
    private static bool TryQuantizeQ8K128(float* x, sbyte* q, out float d)
    {
        var amaxV = Vector128<float>.Zero;
        for (int j = 0; j < 256; j += 4)
        {
            amaxV = Vector128.Max(amaxV, Vector128.Abs(Vector128.Load(x + j)));
        }
        float amax = MathF.Max(MathF.Max(amaxV[0], amaxV[1]), MathF.Max(amaxV[2], amaxV[3]));
        d = 0;
        if (amax == 0)
        {
            new Span<sbyte>(q, 256).Clear();
            return true;
        }
        var target = Vector128.Create(amax);
        float max = float.NaN;
        for (int j = 0; j < 256; j += 4)
        {
            uint hits = Vector128.Equals(Vector128.Abs(Vector128.Load(x + j)), target).ExtractMostSignificantBits();
            if (hits != 0)
            {
                max = x[j + BitOperations.TrailingZeroCount(hits)];
                break;
            }
        }
        if (float.IsNaN(max))
        {
            return false;
        }
        float iscale = -127.0f / max;
        var scale = Vector128.Create(iscale);
        var magic = Vector128.Create(12582912f);
        var mantissa = Vector128.Create(0x007fffff);
        var offset = Vector128.Create(0x00400000);
        var top = Vector128.Create(127);
        for (int j = 0; j < 256; j += 16)
        {
            var v0 = Vector128.Min((((Vector128.Load(x + j) * scale) + magic).AsInt32() & mantissa) - offset, top);
            var v1 = Vector128.Min((((Vector128.Load(x + j + 4) * scale) + magic).AsInt32() & mantissa) - offset, top);
            var v2 = Vector128.Min((((Vector128.Load(x + j + 8) * scale) + magic).AsInt32() & mantissa) - offset, top);
            var v3 = Vector128.Min((((Vector128.Load(x + j + 12) * scale) + magic).AsInt32() & mantissa) - offset, top);
            Vector128.Narrow(Vector128.Narrow(v0, v1), Vector128.Narrow(v2, v3)).Store(q + j);
        }
        d = 1 / iscale;
        return true;
    }

    private static void QuantizeQ8KScalar(float* x, sbyte* q, out float d)
    {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++)
        {
            float ax = MathF.Abs(x[j]);
            if (ax > amax)
            {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0)
        {
            new Span<sbyte>(q, 256).Clear();
            d = 0;
            return;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++)
        {
            float shifted = iscale * x[j] + 12582912f;
            q[j] = (sbyte)Math.Min(127, (BitConverter.SingleToInt32Bits(shifted) & 0x007fffff) - 0x00400000);
        }
        d = 1 / iscale;
    }

    /// <summary>ggml-cpu's x86 quantize_row_q8_0 (and _q8_1): scale 127/amax, round half to even, d kept as F16, and the
    /// sum of the block in quantize_row_q8_1's form, F16(d·Σq) with d before rounding.</summary>
    internal static void QuantizeQ8_0(float* x, sbyte* q, out float d, out float sum)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            QuantizeQ8_0x256(x, q, out d, out sum);
            return;
        }
        var m = Vector128<float>.Zero;
        for (int j = 0; j < 32; j += 4)
        {
            m = Vector128.Max(m, Vector128.Abs(Vector128.Load(x + j)));
        }
        float amax = MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
        float exact = amax / 127.0f;
        d = (float)(Half)exact;
        var id = Vector128.Create(amax != 0.0f ? 127.0f / amax : 0.0f);
        var total = Vector128<int>.Zero;
        for (int j = 0; j < 32; j += 16)
        {
            var v0 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j) * id));
            var v1 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j + 4) * id));
            var v2 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j + 8) * id));
            var v3 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + j + 12) * id));
            total += (v0 + v1) + (v2 + v3);
            Vector128.Narrow(Vector128.Narrow(v0, v1), Vector128.Narrow(v2, v3)).Store(q + j);
        }
        sum = (float)(Half)(exact * Vector128.Sum(total));
    }

    /// <summary>The same with eight lanes: the maximum, the products, their rounding and the integer sum are exact, so the bytes are the same.</summary>
    private static void QuantizeQ8_0x256(float* x, sbyte* q, out float d, out float sum)
    {
        var x0 = Vector256.Load(x);
        var x1 = Vector256.Load(x + 8);
        var x2 = Vector256.Load(x + 16);
        var x3 = Vector256.Load(x + 24);
        var m8 = Vector256.Max(Vector256.Max(Vector256.Abs(x0), Vector256.Abs(x1)), Vector256.Max(Vector256.Abs(x2), Vector256.Abs(x3)));
        var m = Vector128.Max(m8.GetLower(), m8.GetUpper());
        float amax = MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
        float exact = amax / 127.0f;
        d = (float)(Half)exact;
        var id = Vector256.Create(amax != 0.0f ? 127.0f / amax : 0.0f);
        var v0 = Vector256.ConvertToInt32(Vector256.Round(x0 * id));
        var v1 = Vector256.ConvertToInt32(Vector256.Round(x1 * id));
        var v2 = Vector256.ConvertToInt32(Vector256.Round(x2 * id));
        var v3 = Vector256.ConvertToInt32(Vector256.Round(x3 * id));
        Vector256.Narrow(Vector256.Narrow(v0, v1), Vector256.Narrow(v2, v3)).Store(q);
        sum = (float)(Half)(exact * Vector256.Sum((v0 + v1) + (v2 + v3)));
    }
}
