namespace GgufPs.Conversion;

/// <summary>
/// Metadata in the order keys were first added. Setting a key again replaces its value in place, as gguf-py's writer
/// does, so the file's key order follows the first time each key was set.
/// </summary>
internal sealed class GgufMetadataBuilder
{
    private readonly List<GgufMetadataEntry> _entries = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool Contains(string key) => _index.ContainsKey(key);

    public GgufMetadataEntry? Find(string key) => _index.TryGetValue(key, out int i) ? _entries[i] : null;

    public void Set(GgufMetadataEntry entry)
    {
        if (_index.TryGetValue(entry.Key, out int i))
        {
            _entries[i] = entry;
        }
        else
        {
            _index[entry.Key] = _entries.Count;
            _entries.Add(entry);
        }
    }

    public void String(string key, string value) => Set(GgufMetadataEntry.Create(key, value));

    public void UInt32(string key, long value)
    {
        if (value is < 0 or > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"{key} = {value} does not fit a u32.");
        }
        Set(GgufMetadataEntry.Create(key, (uint)value));
    }

    public void Int32(string key, long value) => Set(GgufMetadataEntry.Create(key, checked((int)value)));

    public void Float32(string key, double value) => Set(GgufMetadataEntry.Create(key, (float)value));

    public void Bool(string key, bool value) => Set(GgufMetadataEntry.Create(key, value));

    public void Array(string key, System.Array value) => Set(GgufMetadataEntry.Create(key, value));

    public IReadOnlyList<GgufMetadataEntry> ToList() => _entries.ToArray();
}
