using System.Globalization;

namespace GgufPs;

/// <summary>
/// One GGUF key/value pair. Entries read from a file keep their encoded bytes and decode the value only when
/// <see cref="Value"/> is first read, so a 32,000-entry token array costs nothing until someone asks for it.
/// </summary>
public sealed class GgufMetadataEntry
{
    private readonly byte[]? _source;
    private readonly int _valueOffset;
    private readonly int _valueLength;
    private object? _value;

    internal GgufMetadataEntry(string key, GgufValueType type, GgufValueType? elementType, long? count,
        byte[] source, int valueOffset, int valueLength)
    {
        Key = key;
        ValueType = type;
        ElementType = elementType;
        Count = count;
        _source = source;
        _valueOffset = valueOffset;
        _valueLength = valueLength;
    }

    private GgufMetadataEntry(string key, GgufValueType type, GgufValueType? elementType, long? count, object value)
    {
        Key = key;
        ValueType = type;
        ElementType = elementType;
        Count = count;
        _value = value;
    }

    public string Key { get; }

    public GgufValueType ValueType { get; }

    /// <summary>For arrays, the type of their elements; null for scalars.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>For arrays, the number of elements; null for scalars.</summary>
    public long? Count { get; }

    /// <summary>
    /// The value as a .NET object: a scalar (byte, int, uint, float, string, bool, ...) or, for arrays, a typed array
    /// (string[], float[], int[], ...). Nested arrays come as object[] of arrays.
    /// </summary>
    public object Value => _value ??= GgufValueCodec.Decode(ValueType, _source!, _valueOffset, _valueLength);

    /// <summary>A short rendering for views: arrays show as [string × 32000] without being decoded.</summary>
    public string DisplayValue
    {
        get
        {
            if (ValueType == GgufValueType.Array)
            {
                string element = ElementType is { } t ? GgufValueCodec.TypeName(t) : "?";
                return $"[{element} × {Count}]";
            }
            return Value switch
            {
                string s => s.Length > 120 ? s[..117] + "..." : s,
                float f => f.ToString("R", CultureInfo.InvariantCulture),
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString() ?? "",
            };
        }
    }

    /// <summary>True when the entry still holds the bytes it was read from, so a writer can copy them unchanged.</summary>
    internal bool HasEncodedValue => _source is not null;

    internal ReadOnlySpan<byte> EncodedValue => _source.AsSpan(_valueOffset, _valueLength);

    /// <summary>For entries read from a file, where the encoded value starts in that file.</summary>
    internal int EncodedValueOffset => _valueOffset;

    public override string ToString() => $"{Key} = {DisplayValue}";

    /// <summary>Makes an entry from a .NET value, inferring the GGUF type (string, bool, the integer and float types, and arrays of them).</summary>
    public static GgufMetadataEntry Create(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (value is Array array)
        {
            var elementType = GgufValueCodec.ArrayElementType(array);
            return new GgufMetadataEntry(key, GgufValueType.Array, elementType, array.LongLength, value);
        }
        return new GgufMetadataEntry(key, GgufValueCodec.ScalarType(value), null, null, value);
    }

    /// <summary>Makes an entry of an explicit scalar type, converting <paramref name="value"/> to it.</summary>
    public static GgufMetadataEntry Create(string key, GgufValueType type, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (type == GgufValueType.Array)
        {
            return Create(key, value);
        }
        return new GgufMetadataEntry(key, type, null, null, GgufValueCodec.ConvertScalar(type, value));
    }
}
