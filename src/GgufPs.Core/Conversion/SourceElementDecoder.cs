using System.Runtime.Intrinsics;

namespace GgufPs.Conversion;

/// <summary>Widens source elements (F32, F16, BF16, F64, FP8) to F32, as torch's .to(float32) does before the converter writes them.</summary>
internal static unsafe class SourceElementDecoder
{
    private static readonly float[] E4M3 = BuildFloat8Table(exponentBits: 4, mantissaBits: 3, bias: 7, finiteOnly: true);
    private static readonly float[] E5M2 = BuildFloat8Table(exponentBits: 5, mantissaBits: 2, bias: 15, finiteOnly: false);

    /// <summary>The floating-point types, and the signed integers quantized checkpoints store weights in (converted by value, as torch does).</summary>
    public static bool IsSupported(SafetensorsDataType type) => type is SafetensorsDataType.F32 or SafetensorsDataType.F16
        or SafetensorsDataType.BF16 or SafetensorsDataType.F64 or SafetensorsDataType.F8_E4M3 or SafetensorsDataType.F8_E5M2
        or SafetensorsDataType.I8 or SafetensorsDataType.U8 or SafetensorsDataType.I16 or SafetensorsDataType.I32;

    public static void ToF32(byte* source, SafetensorsDataType type, int count, float* destination)
    {
        switch (type)
        {
            case SafetensorsDataType.F32:
                Buffer.MemoryCopy(source, destination, (long)count * 4, (long)count * 4);
                break;
            case SafetensorsDataType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, count), new Span<float>(destination, count));
                break;
            case SafetensorsDataType.BF16:
                Bf16ToF32((ushort*)source, destination, count);
                break;
            case SafetensorsDataType.F64:
                for (int i = 0; i < count; i++)
                {
                    destination[i] = (float)((double*)source)[i];
                }
                break;
            case SafetensorsDataType.F8_E4M3:
                Lookup(source, E4M3, count, destination);
                break;
            case SafetensorsDataType.F8_E5M2:
                Lookup(source, E5M2, count, destination);
                break;
            case SafetensorsDataType.I8:
                for (int i = 0; i < count; i++) destination[i] = ((sbyte*)source)[i];
                break;
            case SafetensorsDataType.U8:
                for (int i = 0; i < count; i++) destination[i] = source[i];
                break;
            case SafetensorsDataType.I16:
                for (int i = 0; i < count; i++) destination[i] = ((short*)source)[i];
                break;
            case SafetensorsDataType.I32:
                for (int i = 0; i < count; i++) destination[i] = ((int*)source)[i];
                break;
            default:
                throw new NotSupportedException($"Tensors of type {type} cannot be converted; only floating-point weights can.");
        }
    }

    public static void Bf16ToF32(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 32; i += 32)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(source + i));
                (lo << 16).AsSingle().Store(destination + i);
                (hi << 16).AsSingle().Store(destination + i + 16);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(source + i));
                (lo << 16).AsSingle().Store(destination + i);
                (hi << 16).AsSingle().Store(destination + i + 8);
            }
        }
        for (; i < count; i++)
        {
            ((uint*)destination)[i] = (uint)source[i] << 16;
        }
    }

    /// <summary>Copies BF16 values, quieting signalling NaNs the way a round trip through F32 and gguf-py's BF16 rounding does.</summary>
    public static void CopyBf16(ushort* source, ushort* destination, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var magnitude = Vector512.Create((ushort)0x7fff);
            var infinity = Vector512.Create((ushort)0x7f80);
            var quiet = Vector512.Create((ushort)0x0040);
            for (; i <= count - 32; i += 32)
            {
                var v = Vector512.Load(source + i);
                var nan = Vector512.GreaterThan(v & magnitude, infinity);
                (v | (nan & quiet)).Store(destination + i);
            }
        }
        for (; i < count; i++)
        {
            ushort v = source[i];
            destination[i] = (v & 0x7fff) > 0x7f80 ? (ushort)(v | 0x40) : v;
        }
    }

    private static void Lookup(byte* source, float[] table, int count, float* destination)
    {
        for (int i = 0; i < count; i++)
        {
            destination[i] = table[source[i]];
        }
    }

    // float8_e4m3fn has no infinities and a single NaN mantissa; float8_e5m2 follows IEEE rules.
    private static float[] BuildFloat8Table(int exponentBits, int mantissaBits, int bias, bool finiteOnly)
    {
        var table = new float[256];
        int maxExponent = (1 << exponentBits) - 1;
        int mantissaMask = (1 << mantissaBits) - 1;
        for (int b = 0; b < 256; b++)
        {
            int sign = b >> 7;
            int exponent = (b >> mantissaBits) & maxExponent;
            int mantissa = b & mantissaMask;
            double value;
            if (exponent == maxExponent && (finiteOnly ? mantissa == mantissaMask : true))
            {
                value = finiteOnly || mantissa != 0 ? double.NaN : double.PositiveInfinity;
            }
            else if (exponent == 0)
            {
                value = mantissa / (double)(1 << mantissaBits) * Math.Pow(2, 1 - bias);
            }
            else
            {
                value = (1 + mantissa / (double)(1 << mantissaBits)) * Math.Pow(2, exponent - bias);
            }
            table[b] = (float)(sign == 1 ? -value : value);
        }
        return table;
    }
}
