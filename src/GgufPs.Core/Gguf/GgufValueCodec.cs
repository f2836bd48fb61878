using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace GgufPs;

/// <summary>Decodes and encodes GGUF metadata values (little-endian, strings as u64 length + UTF-8 bytes).</summary>
internal static class GgufValueCodec
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static string TypeName(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 => "u8",
        GgufValueType.Int8 => "i8",
        GgufValueType.UInt16 => "u16",
        GgufValueType.Int16 => "i16",
        GgufValueType.UInt32 => "u32",
        GgufValueType.Int32 => "i32",
        GgufValueType.Float32 => "f32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        GgufValueType.UInt64 => "u64",
        GgufValueType.Int64 => "i64",
        GgufValueType.Float64 => "f64",
        _ => ((int)t).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Size of a fixed-size scalar, or 0 for strings and arrays.</summary>
    public static int FixedSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>The smallest number of bytes one value of the type can take; used to reject counts that cannot fit.</summary>
    public static int MinimumSize(GgufValueType t) => t switch
    {
        GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => FixedSize(t),
    };

    public static bool IsDefined(uint t) => t <= (uint)GgufValueType.Float64;

    public static object Decode(GgufValueType type, byte[] source, int offset, int length)
    {
        var span = source.AsSpan(offset, length);
        int pos = 0;
        return DecodeAt(type, span, ref pos);
    }

    private static object DecodeAt(GgufValueType type, ReadOnlySpan<byte> s, ref int pos)
    {
        switch (type)
        {
            case GgufValueType.String:
                return ReadString(s, ref pos);
            case GgufValueType.Array:
                var elementType = (GgufValueType)BinaryPrimitives.ReadUInt32LittleEndian(s[pos..]);
                long count = (long)BinaryPrimitives.ReadUInt64LittleEndian(s[(pos + 4)..]);
                pos += 12;
                return DecodeArray(elementType, checked((int)count), s, ref pos);
            default:
                object v = DecodeScalar(type, s[pos..]);
                pos += FixedSize(type);
                return v;
        }
    }

    private static object DecodeScalar(GgufValueType type, ReadOnlySpan<byte> s) => type switch
    {
        GgufValueType.UInt8 => s[0],
        GgufValueType.Int8 => (sbyte)s[0],
        GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(s),
        GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(s),
        GgufValueType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(s),
        GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(s),
        GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(s),
        GgufValueType.Bool => s[0] != 0,
        GgufValueType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(s),
        GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(s),
        GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(s),
        _ => throw new InvalidDataException($"Unknown GGUF value type {(int)type}."),
    };

    private static string ReadString(ReadOnlySpan<byte> s, ref int pos)
    {
        int len = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(s[pos..]));
        string str = Utf8.GetString(s.Slice(pos + 8, len));
        pos += 8 + len;
        return str;
    }

    private static Array DecodeArray(GgufValueType elementType, int count, ReadOnlySpan<byte> s, ref int pos)
    {
        switch (elementType)
        {
            case GgufValueType.String:
            {
                var result = new string[count];
                for (int i = 0; i < count; i++)
                {
                    result[i] = ReadString(s, ref pos);
                }
                return result;
            }
            case GgufValueType.Array:
            {
                var result = new object[count];
                for (int i = 0; i < count; i++)
                {
                    result[i] = DecodeAt(GgufValueType.Array, s, ref pos);
                }
                return result;
            }
            case GgufValueType.Bool:
            {
                var result = new bool[count];
                for (int i = 0; i < count; i++)
                {
                    result[i] = s[pos + i] != 0;
                }
                pos += count;
                return result;
            }
            default:
            {
                int size = FixedSize(elementType);
                var bytes = s.Slice(pos, count * size);
                pos += count * size;
                return elementType switch
                {
                    GgufValueType.UInt8 => bytes.ToArray(),
                    GgufValueType.Int8 => Copy<sbyte>(bytes),
                    GgufValueType.UInt16 => Copy<ushort>(bytes),
                    GgufValueType.Int16 => Copy<short>(bytes),
                    GgufValueType.UInt32 => Copy<uint>(bytes),
                    GgufValueType.Int32 => Copy<int>(bytes),
                    GgufValueType.Float32 => Copy<float>(bytes),
                    GgufValueType.UInt64 => Copy<ulong>(bytes),
                    GgufValueType.Int64 => Copy<long>(bytes),
                    GgufValueType.Float64 => Copy<double>(bytes),
                    _ => throw new InvalidDataException($"Unknown GGUF array element type {(int)elementType}."),
                };
            }
        }
    }

    // GGUF is little-endian and so is every platform .NET runs this on, so a block copy is a decode.
    private static T[] Copy<T>(ReadOnlySpan<byte> bytes) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes).ToArray();

    public static GgufValueType ScalarType(object value) => value switch
    {
        string => GgufValueType.String,
        bool => GgufValueType.Bool,
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        _ => throw new ArgumentException($"A value of type {value.GetType().Name} cannot be stored in GGUF metadata."),
    };

    // Matched on the exact element type: the CLR treats int[] as a uint[] (and so on) in type tests.
    public static GgufValueType ArrayElementType(Array array)
    {
        var t = array.GetType().GetElementType();
        if (t == typeof(string)) return GgufValueType.String;
        if (t == typeof(bool)) return GgufValueType.Bool;
        if (t == typeof(byte)) return GgufValueType.UInt8;
        if (t == typeof(sbyte)) return GgufValueType.Int8;
        if (t == typeof(ushort)) return GgufValueType.UInt16;
        if (t == typeof(short)) return GgufValueType.Int16;
        if (t == typeof(uint)) return GgufValueType.UInt32;
        if (t == typeof(int)) return GgufValueType.Int32;
        if (t == typeof(float)) return GgufValueType.Float32;
        if (t == typeof(ulong)) return GgufValueType.UInt64;
        if (t == typeof(long)) return GgufValueType.Int64;
        if (t == typeof(double)) return GgufValueType.Float64;
        if (t == typeof(object) && array.Cast<object>().All(i => i is Array)) return GgufValueType.Array;
        throw new ArgumentException($"An array of {t?.Name} cannot be stored in GGUF metadata.");
    }

    /// <summary>A typed array of <paramref name="elementType"/> holding <paramref name="items"/>, each converted.</summary>
    public static Array CreateArray(GgufValueType elementType, IReadOnlyList<object> items)
    {
        Type clr = elementType switch
        {
            GgufValueType.String => typeof(string),
            GgufValueType.Bool => typeof(bool),
            GgufValueType.UInt8 => typeof(byte),
            GgufValueType.Int8 => typeof(sbyte),
            GgufValueType.UInt16 => typeof(ushort),
            GgufValueType.Int16 => typeof(short),
            GgufValueType.UInt32 => typeof(uint),
            GgufValueType.Int32 => typeof(int),
            GgufValueType.Float32 => typeof(float),
            GgufValueType.UInt64 => typeof(ulong),
            GgufValueType.Int64 => typeof(long),
            GgufValueType.Float64 => typeof(double),
            _ => throw new ArgumentException($"Arrays of {elementType} cannot be created."),
        };
        var array = Array.CreateInstance(clr, items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            array.SetValue(ConvertScalar(elementType, items[i]), i);
        }
        return array;
    }

    public static object ConvertScalar(GgufValueType type, object value)
    {
        var c = CultureInfo.InvariantCulture;
        return type switch
        {
            GgufValueType.String => Convert.ToString(value, c) ?? "",
            GgufValueType.Bool => Convert.ToBoolean(value, c),
            GgufValueType.UInt8 => Convert.ToByte(value, c),
            GgufValueType.Int8 => Convert.ToSByte(value, c),
            GgufValueType.UInt16 => Convert.ToUInt16(value, c),
            GgufValueType.Int16 => Convert.ToInt16(value, c),
            GgufValueType.UInt32 => Convert.ToUInt32(value, c),
            GgufValueType.Int32 => Convert.ToInt32(value, c),
            GgufValueType.Float32 => Convert.ToSingle(value, c),
            GgufValueType.UInt64 => Convert.ToUInt64(value, c),
            GgufValueType.Int64 => Convert.ToInt64(value, c),
            GgufValueType.Float64 => Convert.ToDouble(value, c),
            _ => throw new ArgumentException($"{type} is not a scalar GGUF type."),
        };
    }

    private static ReadOnlySpan<byte> PrimitiveBytes(Array array) => array switch
    {
        byte[] a => a,
        sbyte[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        float[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new ArgumentException("Not a primitive array."),
    };

    /// <summary>Writes the value (without key or type tag) in GGUF encoding.</summary>
    public static void Encode(GgufValueType type, object value, GgufBinaryWriter w)
    {
        switch (type)
        {
            case GgufValueType.String: w.WriteString((string)value); break;
            case GgufValueType.Bool: w.WriteByte((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.UInt8: w.WriteByte((byte)value); break;
            case GgufValueType.Int8: w.WriteByte(unchecked((byte)(sbyte)value)); break;
            case GgufValueType.UInt16: w.WriteUInt16((ushort)value); break;
            case GgufValueType.Int16: w.WriteUInt16(unchecked((ushort)(short)value)); break;
            case GgufValueType.UInt32: w.WriteUInt32((uint)value); break;
            case GgufValueType.Int32: w.WriteUInt32(unchecked((uint)(int)value)); break;
            case GgufValueType.Float32: w.WriteUInt32(BitConverter.SingleToUInt32Bits((float)value)); break;
            case GgufValueType.UInt64: w.WriteUInt64((ulong)value); break;
            case GgufValueType.Int64: w.WriteUInt64(unchecked((ulong)(long)value)); break;
            case GgufValueType.Float64: w.WriteUInt64(BitConverter.DoubleToUInt64Bits((double)value)); break;
            case GgufValueType.Array:
                var array = (Array)value;
                var elementType = ArrayElementType(array);
                w.WriteUInt32((uint)elementType);
                w.WriteUInt64((ulong)array.LongLength);
                if (FixedSize(elementType) > 0 && elementType != GgufValueType.Bool)
                {
                    w.WriteBytes(PrimitiveBytes(array));
                    break;
                }
                foreach (object item in array)
                {
                    Encode(elementType, item, w);
                }
                break;
            default:
                throw new ArgumentException($"Unknown GGUF value type {(int)type}.");
        }
    }
}
