namespace GgufPs.Conversion;

/// <summary>
/// The YAML front matter of a model card (README.md between "---" lines), read for the flat keys llama.cpp's
/// converter uses: scalars, inline [a, b] lists and block "- item" lists. Nested mappings are skipped.
/// </summary>
internal sealed class ModelCard
{
    private readonly Dictionary<string, object> _values;

    private ModelCard(Dictionary<string, object> values) => _values = values;

    public static ModelCard Empty { get; } = new(new Dictionary<string, object>(StringComparer.Ordinal));

    public static ModelCard Load(string folder)
    {
        string path = Path.Combine(folder, "README.md");
        if (!File.Exists(path))
        {
            return Empty;
        }
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].TrimEnd() != "---")
        {
            return Empty;
        }
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        string? listKey = null;
        for (int i = 1; i < lines.Length && lines[i].TrimEnd() != "---"; i++)
        {
            string line = lines[i].Replace("\t", "  ");
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }
            if (trimmed.StartsWith("- ", StringComparison.Ordinal) || trimmed == "-")
            {
                if (listKey is not null && values[listKey] is List<string> list && !trimmed.Contains(": "))
                {
                    list.Add(Unquote(trimmed[1..].Trim()));
                }
                continue;
            }
            if (char.IsWhiteSpace(line[0]))
            {
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            listKey = null;
            if (value.Length == 0)
            {
                values[key] = new List<string>();
                listKey = key;
            }
            else if (value.StartsWith('[') && value.EndsWith(']'))
            {
                values[key] = value[1..^1].Split(',').Select(v => Unquote(v.Trim())).Where(v => v.Length > 0).ToList();
            }
            else
            {
                values[key] = Unquote(value);
            }
        }
        // Keys introduced as "key:" with nothing under them held a nested mapping, not a list.
        foreach (var key in values.Where(p => p.Value is List<string> { Count: 0 }).Select(p => p.Key).ToList())
        {
            values.Remove(key);
        }
        return new ModelCard(values);
    }

    public bool Contains(string key) => _values.ContainsKey(key);

    public string? GetString(string key) => _values.TryGetValue(key, out var v) && v is string s ? s : null;

    /// <summary>A list value, or a scalar as a one-item list; empty when absent.</summary>
    public IReadOnlyList<string> GetList(string key) => _values.TryGetValue(key, out var v)
        ? v switch
        {
            List<string> l => l,
            string s => [s],
            _ => [],
        }
        : [];

    private static string Unquote(string s) =>
        s.Length >= 2 && ((s[0] == '"' && s[^1] == '"') || (s[0] == '\'' && s[^1] == '\'')) ? s[1..^1] : s;
}
