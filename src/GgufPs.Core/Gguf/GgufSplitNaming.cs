using System.Globalization;
using System.Text.RegularExpressions;

namespace GgufPs;

/// <summary>
/// llama.cpp's names for the parts of a split set, <c>&lt;prefix&gt;-%05d-of-%05d.gguf</c> with 1-based part numbers
/// (llama_split_path), and the inverse that finds the prefix from a part's name (llama_split_prefix).
/// </summary>
public static partial class GgufSplitNaming
{
    /// <summary>The path of part <paramref name="index"/> (0-based) of <paramref name="count"/>.</summary>
    public static string PartPath(string prefix, int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{index + 1:D5}-of-{count:D5}.gguf");

    /// <summary>
    /// The prefix of <paramref name="path"/> when its name ends the way part <paramref name="index"/> of
    /// <paramref name="count"/> must end; null otherwise.
    /// </summary>
    public static string? Prefix(string path, int index, int count)
    {
        string suffix = PartPath("", index, count);
        return path.Length > suffix.Length && path.EndsWith(suffix, StringComparison.Ordinal) ? path[..^suffix.Length] : null;
    }

    /// <summary>Reads the prefix, the 0-based index and the count out of a part's name; false when it is not named as one.</summary>
    public static bool TryParse(string path, out string prefix, out int index, out int count)
    {
        var match = PartPattern().Match(path);
        if (match.Success && match.Index > 0)
        {
            int number = int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            count = int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
            if (number >= 1 && number <= count)
            {
                prefix = path[..match.Index];
                index = number - 1;
                return true;
            }
        }
        prefix = "";
        index = 0;
        count = 0;
        return false;
    }

    /// <summary>The prefix for a set written from <paramref name="outputPath"/>: the path without a trailing .gguf.</summary>
    public static string PrefixOf(string outputPath) =>
        outputPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? outputPath[..^5] : outputPath;

    [GeneratedRegex(@"-(\d{5,})-of-(\d{5,})\.gguf$", RegexOptions.CultureInvariant)]
    private static partial Regex PartPattern();
}
