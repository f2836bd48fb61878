using System.Collections;

namespace GgufPs;

/// <summary>
/// A model's metadata in file order. Enumerating yields the entries; indexing by key gives the value
/// (<c>$info.Metadata['general.architecture']</c> is <c>llama</c>), or null when the key is absent.
/// </summary>
public sealed class GgufMetadataCollection : IReadOnlyList<GgufMetadataEntry>
{
    private readonly GgufMetadataEntry[] _entries;
    private readonly Dictionary<string, GgufMetadataEntry> _byKey;

    public GgufMetadataCollection(IEnumerable<GgufMetadataEntry> entries)
    {
        _entries = entries.ToArray();
        _byKey = new Dictionary<string, GgufMetadataEntry>(_entries.Length, StringComparer.Ordinal);
        foreach (var entry in _entries)
        {
            if (!_byKey.TryAdd(entry.Key, entry))
            {
                throw new ArgumentException($"The metadata key '{entry.Key}' appears more than once.");
            }
        }
    }

    public int Count => _entries.Length;

    public GgufMetadataEntry this[int index] => _entries[index];

    /// <summary>The value stored under <paramref name="key"/>, or null when there is none.</summary>
    public object? this[string key] => _byKey.TryGetValue(key, out var entry) ? entry.Value : null;

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public bool TryGetEntry(string key, out GgufMetadataEntry entry) => _byKey.TryGetValue(key, out entry!);

    public GgufMetadataEntry? GetEntry(string key) => _byKey.GetValueOrDefault(key);

    public string? GetString(string key) =>
        _byKey.TryGetValue(key, out var e) && e.ValueType == GgufValueType.String ? (string)e.Value : null;

    /// <summary>An integer value of any integer type (llama.cpp writes some as u32 and some as u64), or null.</summary>
    public long? GetInteger(string key)
    {
        if (!_byKey.TryGetValue(key, out var e))
        {
            return null;
        }
        return e.ValueType switch
        {
            GgufValueType.UInt8 => (byte)e.Value,
            GgufValueType.Int8 => (sbyte)e.Value,
            GgufValueType.UInt16 => (ushort)e.Value,
            GgufValueType.Int16 => (short)e.Value,
            GgufValueType.UInt32 => (uint)e.Value,
            GgufValueType.Int32 => (int)e.Value,
            GgufValueType.UInt64 => (ulong)e.Value > long.MaxValue ? null : (long)(ulong)e.Value,
            GgufValueType.Int64 => (long)e.Value,
            _ => null,
        };
    }

    /// <summary>A numeric value of any integer or float type, or null.</summary>
    public double? GetNumber(string key)
    {
        if (!_byKey.TryGetValue(key, out var e))
        {
            return null;
        }
        return e.ValueType switch
        {
            GgufValueType.Float32 => (float)e.Value,
            GgufValueType.Float64 => (double)e.Value,
            _ => GetInteger(key),
        };
    }

    public bool? GetBool(string key) =>
        _byKey.TryGetValue(key, out var e) && e.ValueType == GgufValueType.Bool ? (bool)e.Value : null;

    /// <summary>The elements of an array whose .NET element type is <typeparamref name="T"/>, or null.</summary>
    public T[]? GetArray<T>(string key) =>
        _byKey.TryGetValue(key, out var e) && e.ValueType == GgufValueType.Array ? e.Value as T[] : null;

    /// <summary>The element count of an array, without decoding it, or null.</summary>
    public long? GetArrayLength(string key) =>
        _byKey.TryGetValue(key, out var e) && e.ValueType == GgufValueType.Array ? e.Count : null;

    public IEnumerator<GgufMetadataEntry> GetEnumerator() => ((IEnumerable<GgufMetadataEntry>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
