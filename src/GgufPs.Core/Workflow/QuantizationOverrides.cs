using System.Text.RegularExpressions;
using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// Checks the per-tensor types and metadata a quantization overrides, as llama-quantize checks --output-tensor-type,
/// --token-embedding-type, --tensor-type and --override-kv. Each error names the option through its label.
/// </summary>
public static class QuantizationOverrides
{
    /// <summary>A tensor type this module can write, by name (case-insensitively).</summary>
    /// <exception cref="UnknownTypeException">The name is no such type; the message lists them.</exception>
    public static GgmlType ParseTensorType(string name, string label)
    {
        if (GgmlTypeInfo.TryParse(name, out var type) && BlockFormats.TryGet(type, out var format) && format.IsTensorFormat)
        {
            return type;
        }
        string valid = string.Join(", ", BlockFormats.All.Where(f => f.IsTensorFormat).Select(f => f.Type));
        throw new UnknownTypeException(name, $"{label}: '{name}' is not a tensor type this module can write. Valid types: {valid}.");
    }

    /// <summary>
    /// Pattern → type pairs. Patterns are regular expressions matched against tensor names; the first that matches
    /// wins. Pairs not <paramref name="inGivenOrder"/> (a plain hashtable) are tried longest first, so the most
    /// specific usually wins.
    /// </summary>
    public static List<KeyValuePair<string, GgmlType>> ParseTensorTypes(IReadOnlyList<KeyValuePair<string, object>> pairs, bool inGivenOrder, string label)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var result = new List<KeyValuePair<string, GgmlType>>();
        foreach (var (pattern, typeName) in pairs)
        {
            try
            {
                _ = new Regex(pattern.ToLowerInvariant(), RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"{label}: '{pattern}' is not a valid regular expression: {ex.Message}");
            }
            result.Add(new(pattern, ParseTensorType(Convert.ToString(typeName, System.Globalization.CultureInfo.InvariantCulture) ?? "", label)));
        }
        return inGivenOrder || result.Count < 2
            ? result
            : result.OrderByDescending(r => r.Key.Length).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>Metadata to set in the output: strings, booleans, integers and floating-point numbers.</summary>
    public static List<KeyValuePair<string, object>> ParseMetadata(IReadOnlyList<KeyValuePair<string, object>> entries, string label)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var (key, value) in entries)
        {
            if (value is not (string or bool or float or double or decimal or sbyte or byte or short or ushort or int or uint or long or ulong))
            {
                throw new ArgumentException($"{label}: '{key}' is a {value.GetType().Name}; use a string, a bool, an integer or a number.");
            }
        }
        return entries.ToList();
    }
}
