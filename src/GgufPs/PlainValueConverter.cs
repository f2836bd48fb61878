using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>
/// Turns what PowerShell binds (values wrapped in PSObject, object[] from @(...) literals) into the plain .NET values
/// the core takes: PSObjects are unwrapped at every level, and an array whose elements all have one type becomes an
/// array of that type (@(1, 2) an int[], @('a', 'b') a string[]); a mixed array stays object[].
/// </summary>
internal static class PlainValueConverter
{
    public static object? ToPlain(object? value)
    {
        value = value is PSObject wrapped ? wrapped.BaseObject : value;
        if (value is not object[] items)
        {
            return value;
        }
        var plain = items.Select(ToPlain).ToArray();
        var type = plain.Length == 0 || plain.Any(i => i is null) ? null : plain[0]!.GetType();
        if (type is null || plain.Any(i => i!.GetType() != type))
        {
            return plain;
        }
        var typed = Array.CreateInstance(type, plain.Length);
        Array.Copy(plain, typed, plain.Length);
        return typed;
    }

    /// <summary>
    /// A hashtable's entries as key (text) and plain value, in the hashtable's order; <paramref name="parameter"/>
    /// names it in the errors for an empty key or a missing value.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object>> ToPlainEntries(IDictionary? dictionary, string parameter)
    {
        var entries = new List<KeyValuePair<string, object>>();
        if (dictionary is null)
        {
            return entries;
        }
        foreach (DictionaryEntry entry in dictionary)
        {
            string key = Convert.ToString(ToPlain(entry.Key), CultureInfo.InvariantCulture) ?? "";
            if (key.Length == 0)
            {
                throw new ArgumentException($"-{parameter}: a key is empty.");
            }
            object value = ToPlain(entry.Value) ?? throw new ArgumentException($"-{parameter}: '{key}' has no value.");
            entries.Add(new(key, value));
        }
        return entries;
    }
}
