using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>
/// Sixteen rows of a quantized weight matrix unpacked for the int8 kernels: every weight as an unsigned byte in the
/// layout vpdpbusd wants (for each 4 columns, 4 bytes of each of the 16 rows), plus the integer scale (and for the
/// types with a separate minimum the integer minimum) of each group of 16 or 32 weights, and the float scales of each
/// block. A K-quant weight is Scale·GroupScale·(u − Bias), or Scale·GroupScale·u − MinScale·GroupOffset, where u is
/// the stored unsigned value; for Q4_0/Q5_0/Q8_0 it is Scale·(u − Bias) per block of 32.
/// </summary>
internal sealed unsafe class QuantizedPanel : IDisposable
{
    public const int Rows = 16;

    /// <summary>IQ4_NL's (and IQ4_XS's) table of values, each plus 128.</summary>
    private static readonly Vector128<byte> NonLinearValues = BuildNonLinearValues();

    private readonly byte* _rowBytes;

    public QuantizedPanel(int columns, Int8Format format)
    {
        Columns = columns;
        Format = format;
        int groups = columns / format.GroupSize;
        int blocks = columns / format.BlockSize;
        Weights = (byte*)NativeMemory.AlignedAlloc((nuint)(Rows * columns), 64);
        _rowBytes = (byte*)NativeMemory.AlignedAlloc((nuint)(Rows * columns), 64);
        GroupScales = (int*)NativeMemory.AlignedAlloc((nuint)(groups * Rows * sizeof(int)), 64);
        GroupOffsets = (int*)NativeMemory.AlignedAlloc((nuint)(groups * Rows * sizeof(int)), 64);
        Scales = (float*)NativeMemory.AlignedAlloc((nuint)(blocks * Rows * sizeof(float)), 64);
        GroupScaleFloats = (float*)NativeMemory.AlignedAlloc((nuint)(groups * Rows * sizeof(float)), 64);
        GroupOffsetFloats = (float*)NativeMemory.AlignedAlloc((nuint)(groups * Rows * sizeof(float)), 64);
        MinScales = (float*)NativeMemory.AlignedAlloc((nuint)(blocks * Rows * sizeof(float)), 64);
    }

    public int Columns { get; }

    public Int8Format Format { get; }

    /// <summary>[columns/4][16 rows][4] unsigned weights.</summary>
    public byte* Weights { get; }

    /// <summary>[groups][16 rows] integer group scales (K-quants).</summary>
    public int* GroupScales { get; }

    /// <summary>[groups][16 rows] integer minimums, times the activation group sums (K-quants with a separate minimum).</summary>
    public int* GroupOffsets { get; }

    /// <summary>[groups][16 rows] the float scale of each group: d·scale.</summary>
    public float* GroupScaleFloats { get; }

    /// <summary>[groups][16 rows] the float coefficient of each group's activation sum: dmin·m.</summary>
    public float* GroupOffsetFloats { get; }

    /// <summary>[blocks][16 rows] float block scales (d).</summary>
    public float* Scales { get; }

    /// <summary>[blocks][16 rows] float scales of the separate minimum (dmin), for Q4_K, Q5_K and Q2_K.</summary>
    public float* MinScales { get; }

    /// <summary>Unpacks rows [first, first + count) of <paramref name="w"/>; missing rows of the panel are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Load(WeightMatrix w, int first, int count)
    {
        int groupsPerRow = Columns / Format.GroupSize;
        int blocksPerRow = Columns / Format.BlockSize;
        for (int r = 0; r < Rows; r++)
        {
            byte* bytes = _rowBytes + (long)r * Columns;
            if (r >= count)
            {
                new Span<byte>(bytes, Columns).Clear();
                for (int g = 0; g < groupsPerRow; g++)
                {
                    GroupScales[g * Rows + r] = 0;
                    GroupOffsets[g * Rows + r] = 0;
                }
                for (int b = 0; b < blocksPerRow; b++)
                {
                    Scales[b * Rows + r] = 0;
                    MinScales[b * Rows + r] = 0;
                }
                continue;
            }
            byte* source = w.RowPointer(first + r);
            for (int b = 0; b < blocksPerRow; b++)
            {
                Unpack(source + (long)b * Format.BlockBytes, bytes + b * Format.BlockSize, b, r);
            }
        }
        if (Format.KQuant)
        {
            int groupsPerBlock = Format.BlockSize / Format.GroupSize;
            for (int g = 0; g < groupsPerRow; g++)
            {
                int b = g / groupsPerBlock;
                for (int r = 0; r < Rows; r++)
                {
                    float d = Scales[b * Rows + r];
                    GroupScaleFloats[g * Rows + r] = d * GroupScales[g * Rows + r];
                    if (Format.SeparateMinimum)
                    {
                        GroupOffsetFloats[g * Rows + r] = MinScales[b * Rows + r] * GroupOffsets[g * Rows + r];
                    }
                }
            }
        }
        Transpose((uint*)_rowBytes, (uint*)Weights, Columns / 4);
    }

    /// <summary>
    /// 4-byte units from row-major [16][steps] into [steps][16], a 4×4 block of them at a time with two rounds of
    /// interleaves (SSE2 unpack, or AdvSimd zip), under half the scalar loop's time; steps is a multiple of 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(uint* from, uint* to, int steps)
    {
        if (!Sse2.IsSupported && !AdvSimd.Arm64.IsSupported)
        {
            for (int s = 0; s < steps; s++)
            {
                for (int r = 0; r < Rows; r++)
                {
                    to[s * Rows + r] = from[(long)r * steps + s];
                }
            }
            return;
        }
        for (int s = 0; s < steps; s += 4)
        {
            uint* dst = to + s * Rows;
            for (int r = 0; r < Rows; r += 4)
            {
                uint* src = from + (long)r * steps + s;
                var v0 = Vector128.Load(src);
                var v1 = Vector128.Load(src + steps);
                var v2 = Vector128.Load(src + 2 * steps);
                var v3 = Vector128.Load(src + 3 * steps);
                // [r0s0 r1s0 r0s1 r1s1], [r2s0 r3s0 r2s1 r3s1], and the same for s2, s3.
                var a0 = ZipLow(v0, v1).AsUInt64();
                var a1 = ZipLow(v2, v3).AsUInt64();
                var a2 = ZipHigh(v0, v1).AsUInt64();
                var a3 = ZipHigh(v2, v3).AsUInt64();
                ZipLow(a0, a1).AsUInt32().Store(dst + r);
                ZipHigh(a0, a1).AsUInt32().Store(dst + Rows + r);
                ZipLow(a2, a3).AsUInt32().Store(dst + 2 * Rows + r);
                ZipHigh(a2, a3).AsUInt32().Store(dst + 3 * Rows + r);
            }
        }
    }

    /// <summary>The low halves of a and b interleaved lane by lane: [a0 b0 a1 b1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> ZipLow(Vector128<uint> a, Vector128<uint> b) =>
        Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    /// <summary>The high halves of a and b interleaved lane by lane: [a2 b2 a3 b3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> ZipHigh(Vector128<uint> a, Vector128<uint> b) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);

    /// <summary>[a0 b0] of two pairs of 8-byte lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> ZipLow(Vector128<ulong> a, Vector128<ulong> b) =>
        Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    /// <summary>[a1 b1] of two pairs of 8-byte lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> ZipHigh(Vector128<ulong> a, Vector128<ulong> b) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);

    /// <summary>One block of one row into its unsigned bytes (and its scales), sixteen values a vector step.</summary>
    private void Unpack(byte* x, byte* u, int block, int row)
    {
        int g0 = block * (Format.BlockSize / Format.GroupSize);
        int* scales = GroupScales + g0 * Rows + row;
        int* offsets = GroupOffsets + g0 * Rows + row;
        var low = Vector128.Create((byte)0x0F);
        var one = Vector128<byte>.One;
        var three = Vector128.Create((byte)3);
        switch (Format.Type)
        {
            case GgmlType.Q8_0:
            {
                Scales[block * Rows + row] = Half(x);
                var flip = Vector128.Create((byte)0x80);
                (Vector128.Load(x + 2) ^ flip).Store(u);
                (Vector128.Load(x + 18) ^ flip).Store(u + 16);
                break;
            }
            case GgmlType.Q4_0:
                Scales[block * Rows + row] = Half(x);
                Nibbles(x + 2, u);
                break;
            case GgmlType.Q4_1:
                Scales[block * Rows + row] = Half(x);
                MinScales[block * Rows + row] = Half(x + 2);
                Nibbles(x + 4, u);
                break;
            case GgmlType.Q5_0:
                Scales[block * Rows + row] = Half(x);
                FiveBits(x + 6, *(uint*)(x + 2), u);
                break;
            case GgmlType.Q5_1:
                Scales[block * Rows + row] = Half(x);
                MinScales[block * Rows + row] = Half(x + 2);
                FiveBits(x + 8, *(uint*)(x + 4), u);
                break;
            case GgmlType.IQ4_NL:
                Scales[block * Rows + row] = Half(x);
                NonLinear(x + 2, u);
                break;
            case GgmlType.IQ4_XS:
            {
                Scales[block * Rows + row] = Half(x);
                ushort high = *(ushort*)(x + 2);
                byte* lowScales = x + 4;
                byte* qs = x + 8;
                for (int g = 0; g < 8; g++, qs += 16, u += 32)
                {
                    int ls = ((lowScales[g / 2] >> (4 * (g % 2))) & 0xF) | (((high >> (2 * g)) & 3) << 4);
                    scales[g * Rows] = ls - 32;
                    NonLinear(qs, u);
                }
                break;
            }
            case GgmlType.Q4_K:
            case GgmlType.Q5_K:
            {
                bool five = Format.Type == GgmlType.Q5_K;
                Scales[block * Rows + row] = Half(x);
                MinScales[block * Rows + row] = Half(x + 2);
                byte* sc = x + 4;
                byte* qh = x + 16;
                byte* ql = five ? x + 48 : x + 16;
                for (int j = 0; j < 4; j++, ql += 32, u += 64)
                {
                    ScaleMin(2 * j, sc, out scales[(2 * j) * Rows], out offsets[(2 * j) * Rows]);
                    ScaleMin(2 * j + 1, sc, out scales[(2 * j + 1) * Rows], out offsets[(2 * j + 1) * Rows]);
                    for (int h = 0; h < 32; h += 16)
                    {
                        var q = Vector128.Load(ql + h);
                        var first = q & low;
                        var second = Vector128.ShiftRightLogical(q, 4);
                        if (five)
                        {
                            var bits = Vector128.Load(qh + h);
                            first |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(bits, 2 * j) & one, 4);
                            second |= Vector128.ShiftLeft(Vector128.ShiftRightLogical(bits, 2 * j + 1) & one, 4);
                        }
                        first.Store(u + h);
                        second.Store(u + 32 + h);
                    }
                }
                break;
            }
            case GgmlType.Q6_K:
            {
                Scales[block * Rows + row] = Half(x + 208);
                for (int n = 0, g = 0; n < 256; n += 128, u += 128)
                {
                    byte* ql = x + n / 2;
                    byte* qh = x + 128 + n / 4;
                    sbyte* sc = (sbyte*)(x + 192 + n / 16);
                    for (int l = 0; l < 32; l += 16)
                    {
                        var l0 = Vector128.Load(ql + l);
                        var l32 = Vector128.Load(ql + l + 32);
                        var h = Vector128.Load(qh + l);
                        ((l0 & low) | Vector128.ShiftLeft(h & three, 4)).Store(u + l);
                        ((l32 & low) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h, 2) & three, 4)).Store(u + l + 32);
                        (Vector128.ShiftRightLogical(l0, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h, 4) & three, 4)).Store(u + l + 64);
                        (Vector128.ShiftRightLogical(l32, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h, 6) & three, 4)).Store(u + l + 96);
                    }
                    // Groups of 16 in value order: sc[0], sc[1] cover u[0..32); sc[2], sc[3] u[32..64); and so on.
                    for (int k = 0; k < 8; k++, g++)
                    {
                        scales[g * Rows] = sc[k];
                    }
                }
                break;
            }
            case GgmlType.Q3_K:
            {
                byte* hmask = x;
                byte* qs = x + 32;
                Scales[block * Rows + row] = Half(x + 108);
                uint a0 = *(uint*)(x + 96), a1 = *(uint*)(x + 100), tmp = *(uint*)(x + 104);
                const uint m1 = 0x03030303, m2 = 0x0f0f0f0f;
                uint* aux = stackalloc uint[4];
                aux[0] = (a0 & m2) | (((tmp >> 0) & m1) << 4);
                aux[1] = (a1 & m2) | (((tmp >> 2) & m1) << 4);
                aux[2] = ((a0 >> 4) & m2) | (((tmp >> 4) & m1) << 4);
                aux[3] = ((a1 >> 4) & m2) | (((tmp >> 6) & m1) << 4);
                sbyte* packed = (sbyte*)aux;
                for (int g = 0; g < 16; g++)
                {
                    scales[g * Rows] = packed[g] - 32;
                }
                int bit = 0;
                for (int n = 0; n < 256; n += 128)
                {
                    byte* q = qs + n / 4;
                    for (int shift = 0; shift < 8; shift += 2, bit++, u += 32)
                    {
                        for (int h = 0; h < 32; h += 16)
                        {
                            var value = Vector128.ShiftRightLogical(Vector128.Load(q + h), shift) & three;
                            var high = Vector128.ShiftRightLogical(Vector128.Load(hmask + h), bit) & one;
                            (value | Vector128.ShiftLeft(high, 2)).Store(u + h);
                        }
                    }
                }
                break;
            }
            case GgmlType.Q2_K:
            {
                Scales[block * Rows + row] = Half(x + 80);
                MinScales[block * Rows + row] = Half(x + 82);
                for (int g = 0; g < 16; g++)
                {
                    scales[g * Rows] = x[g] & 0xF;
                    offsets[g * Rows] = x[g] >> 4;
                }
                byte* qs = x + 16;
                for (int n = 0; n < 256; n += 128)
                {
                    byte* q = qs + n / 4;
                    for (int shift = 0; shift < 8; shift += 2, u += 32)
                    {
                        (Vector128.ShiftRightLogical(Vector128.Load(q), shift) & three).Store(u);
                        (Vector128.ShiftRightLogical(Vector128.Load(q + 16), shift) & three).Store(u + 16);
                    }
                }
                break;
            }
        }
    }

    /// <summary>Sixteen bytes of two 4-bit values each: the low nibbles are values 0–15, the high ones 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Nibbles(byte* q, byte* u)
    {
        var v = Vector128.Load(q);
        (v & Vector128.Create((byte)0x0F)).Store(u);
        Vector128.ShiftRightLogical(v, 4).Store(u + 16);
    }

    /// <summary>Q5_0/Q5_1: the nibbles, with bit j of <paramref name="qh"/> as bit 4 of value j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FiveBits(byte* q, uint qh, byte* u)
    {
        var v = Vector128.Load(q);
        var bytes = Vector128.Create(qh).AsByte();
        var mask = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        var sixteen = Vector128.Create((byte)0x10);
        // Byte j/8 of qh spread over the lanes of values j, then each lane's own bit tested.
        var first = Vector128.Shuffle(bytes, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)) & mask;
        var second = Vector128.Shuffle(bytes, Vector128.Create((byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)) & mask;
        ((v & Vector128.Create((byte)0x0F)) | (Vector128.Equals(first, mask) & sixteen)).Store(u);
        (Vector128.ShiftRightLogical(v, 4) | (Vector128.Equals(second, mask) & sixteen)).Store(u + 16);
    }

    /// <summary>IQ4_NL's 4-bit indices into its table of signed values, stored plus 128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NonLinear(byte* q, byte* u)
    {
        var v = Vector128.Load(q);
        Vector128.Shuffle(NonLinearValues, v & Vector128.Create((byte)0x0F)).Store(u);
        Vector128.Shuffle(NonLinearValues, Vector128.ShiftRightLogical(v, 4)).Store(u + 16);
    }

    private static Vector128<byte> BuildNonLinearValues()
    {
        var values = Quantization.NonLinearQuantizer.Iq4Values;
        Span<byte> table = stackalloc byte[16];
        for (int i = 0; i < 16; i++)
        {
            table[i] = (byte)(values[i] + 128);
        }
        return Vector128.Create((ReadOnlySpan<byte>)table);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleMin(int j, byte* q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Half(byte* p) => (float)BitConverter.UInt16BitsToHalf(*(ushort*)p);

    public void Dispose()
    {
        NativeMemory.AlignedFree(Weights);
        NativeMemory.AlignedFree(_rowBytes);
        NativeMemory.AlignedFree(GroupScales);
        NativeMemory.AlignedFree(GroupOffsets);
        NativeMemory.AlignedFree(Scales);
        NativeMemory.AlignedFree(MinScales);
        NativeMemory.AlignedFree(GroupScaleFloats);
        NativeMemory.AlignedFree(GroupOffsetFloats);
    }
}
