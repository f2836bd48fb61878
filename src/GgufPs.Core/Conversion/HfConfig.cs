using System.Globalization;
using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// A Hugging Face config.json as typed look-ups. A nested "text_config" (multimodal wrappers) is merged over the
/// root, as llama.cpp's converter does; defaults that transformers' config classes fill in are the architecture's job.
/// </summary>
internal sealed class HfConfig
{
    private readonly Dictionary<string, JsonElement> _values;

    private HfConfig(string path, Dictionary<string, JsonElement> values)
    {
        Path = path;
        _values = values;
    }

    public string Path { get; }

    public IEnumerable<string> Keys => _values.Keys;

    public static HfConfig Load(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Cannot find '{fullPath}': a Hugging Face model folder needs config.json.", fullPath);
        }
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(fullPath), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(fullPath, "it is not valid JSON: " + ex.Message, ex);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(fullPath, "it is not a JSON object");
        }
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
        {
            values[p.Name] = p.Value;
        }
        if (values.TryGetValue("text_config", out var text) && text.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in text.EnumerateObject())
            {
                values[p.Name] = p.Value;
            }
        }
        return new HfConfig(fullPath, values);
    }

    public bool Has(string key) => _values.TryGetValue(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string key) => _values.TryGetValue(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>The first of <paramref name="keys"/> present, as an integer; null when none is present.</summary>
    public long? FindInteger(params string[] keys)
    {
        foreach (string key in keys)
        {
            if (Get(key) is { } v)
            {
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l))
                {
                    return l;
                }
                if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 1e15)
                {
                    return (long)d;
                }
                throw new ModelFormatException(Path, $"'{key}' should be an integer, not {v.GetRawText()}");
            }
        }
        return null;
    }

    public double? FindNumber(params string[] keys)
    {
        foreach (string key in keys)
        {
            if (Get(key) is { } v)
            {
                if (v.ValueKind == JsonValueKind.Number)
                {
                    return v.GetDouble();
                }
                throw new ModelFormatException(Path, $"'{key}' should be a number, not {v.GetRawText()}");
            }
        }
        return null;
    }

    public string? GetString(string key) => Get(key) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public bool? GetBool(string key) => Get(key) is { } v && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>An integer the model cannot do without; a clear error names the missing key.</summary>
    public long RequireInteger(params string[] keys) =>
        FindInteger(keys) ?? throw new ModelFormatException(Path, $"it has none of {string.Join(", ", keys.Select(k => $"'{k}'"))}");

    /// <summary>The "architectures" list; an error when it is missing or empty.</summary>
    public string RequireArchitecture()
    {
        if (Get("architectures") is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.String)
        {
            return a[0].GetString()!;
        }
        throw new ModelFormatException(Path, "it has no \"architectures\" list naming the model class (such as LlamaForCausalLM)");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Path} ({_values.Count} keys)");
}
