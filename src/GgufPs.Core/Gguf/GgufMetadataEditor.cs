using System.Collections;

namespace GgufPs;

/// <summary>
/// Plans and applies metadata edits: values set (converted to the existing key's type, or inferred for new keys) and
/// keys removed, with the tensor data left as it is.
/// </summary>
public sealed class GgufMetadataEditor
{
    private readonly GgufMetadataCollection _original;
    private readonly List<GgufMetadataEntry> _result;

    public GgufMetadataEditor(GgufMetadataCollection original, IDictionary? set, IEnumerable<string>? remove)
    {
        _original = original;
        _result = original.ToList();
        string? architecture = original.GetString("general.architecture");
        var changes = new List<GgufMetadataChange>();

        foreach (string key in remove ?? [])
        {
            int index = _result.FindIndex(e => e.Key == key);
            if (index < 0)
            {
                throw new ArgumentException($"The model has no metadata key '{key}' to remove.");
            }
            var old = _result[index];
            _result.RemoveAt(index);
            changes.Add(new GgufMetadataChange(key, GgufMetadataChangeKind.Remove, old.ValueType, old.DisplayValue, null)
            {
                IsRequiredByLlamaCpp = IsRequiredByLlamaCpp(key, architecture),
            });
        }

        if (set is not null)
        {
            foreach (DictionaryEntry item in set)
            {
                string key = item.Key?.ToString() ?? throw new ArgumentException("A metadata key is null.");
                if (string.IsNullOrEmpty(key))
                {
                    throw new ArgumentException("A metadata key is empty.");
                }
                object value = item.Value ?? throw new ArgumentException($"The value for '{key}' is null; use -Remove to delete a key.");
                int index = _result.FindIndex(e => e.Key == key);
                GgufMetadataEntry entry;
                if (index >= 0)
                {
                    var old = _result[index];
                    entry = ConvertLike(old, key, value);
                    _result[index] = entry;
                    changes.Add(new GgufMetadataChange(key, GgufMetadataChangeKind.Change, entry.ValueType, old.DisplayValue, entry.DisplayValue)
                    {
                        IsRequiredByLlamaCpp = IsRequiredByLlamaCpp(key, architecture),
                    });
                }
                else
                {
                    entry = GgufMetadataEntry.Create(key, NormalizeNew(value));
                    _result.Add(entry);
                    changes.Add(new GgufMetadataChange(key, GgufMetadataChangeKind.Add, entry.ValueType, null, entry.DisplayValue)
                    {
                        IsRequiredByLlamaCpp = IsRequiredByLlamaCpp(key, architecture),
                    });
                }
                if (key == GgufLayout.AlignmentKey && (entry.ValueType != GgufValueType.UInt32 || entry.Value is not uint a || a == 0 || (a & (a - 1)) != 0))
                {
                    throw new ArgumentException($"{GgufLayout.AlignmentKey} must be a u32 power of two.");
                }
            }
        }
        Changes = changes;
    }

    /// <summary>The metadata after the edits, in file order; new keys come last.</summary>
    public IReadOnlyList<GgufMetadataEntry> Result => _result;

    public IReadOnlyList<GgufMetadataChange> Changes { get; }

    /// <summary>
    /// True when every edit keeps the file's layout (no keys added or removed, each new value encodes to exactly as
    /// many bytes as the old), so the file can be patched where it lies, as gguf_set_metadata does.
    /// </summary>
    public bool FitsInPlace =>
        Changes.All(c => c.Kind == GgufMetadataChangeKind.Change) &&
        Changes.All(c =>
        {
            var old = _original.GetEntry(c.Key)!;
            var now = _result.First(e => e.Key == c.Key);
            return old.HasEncodedValue && old.ValueType == now.ValueType && Encode(now).Length == old.EncodedValue.Length;
        });

    /// <summary>Overwrites the changed values in the file itself. Only valid when <see cref="FitsInPlace"/>.</summary>
    public void PatchInPlace(string path)
    {
        if (!FitsInPlace)
        {
            throw new InvalidOperationException("These edits change the file's layout; write a copy instead.");
        }
        var patches = Changes.Select(c => (Offset: _original.GetEntry(c.Key)!.EncodedValueOffset, Bytes: Encode(_result.First(e => e.Key == c.Key)))).ToList();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        foreach (var (offset, bytes) in patches)
        {
            stream.Position = offset;
            stream.Write(bytes);
        }
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Keys llama.cpp reads to load a model: the architecture and alignment, the quantization version, every
    /// architecture hyperparameter and every tokenizer key.
    /// </summary>
    public static bool IsRequiredByLlamaCpp(string key, string? architecture) =>
        key is "general.architecture" or GgufLayout.AlignmentKey or "general.quantization_version"
        || key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal)
        || (architecture is not null && key.StartsWith(architecture + ".", StringComparison.Ordinal));

    private static byte[] Encode(GgufMetadataEntry entry)
    {
        using var buffer = new MemoryStream();
        GgufValueCodec.Encode(entry.ValueType, entry.Value, new GgufBinaryWriter(buffer));
        return buffer.ToArray();
    }

    private static GgufMetadataEntry ConvertLike(GgufMetadataEntry old, string key, object value)
    {
        try
        {
            if (old.ValueType != GgufValueType.Array)
            {
                return GgufMetadataEntry.Create(key, old.ValueType, value);
            }
            var items = value is IEnumerable e and not string ? e.Cast<object>().ToArray() : [value];
            var elementType = old.ElementType ?? GgufValueType.String;
            if (elementType == GgufValueType.Array)
            {
                throw new ArgumentException("nested arrays cannot be set");
            }
            Array typed = GgufValueCodec.CreateArray(elementType, items);
            return GgufMetadataEntry.Create(key, typed);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"'{value}' cannot be stored in '{key}', which holds {GgufValueCodec.TypeName(old.ValueType)}{(old.ElementType is { } t ? " of " + GgufValueCodec.TypeName(t) : "")}: {ex.Message}", ex);
        }
    }

    // PowerShell hands over object[] for @(...) literals; store them as an array of the first element's type.
    private static object NormalizeNew(object value)
    {
        if (value is object[] items && items.Length > 0)
        {
            var elementType = GgufValueCodec.ScalarType(items[0]);
            return GgufValueCodec.CreateArray(elementType, items);
        }
        return value;
    }
}
