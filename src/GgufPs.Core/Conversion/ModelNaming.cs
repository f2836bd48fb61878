using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GgufPs.Conversion;

/// <summary>
/// gguf-py's model naming rules: splitting a Hugging Face id or folder name into basename, size label, finetune and
/// version; the title-cased display name; the parameter-count size label (104K, 7.2B, 8x7B); and the
/// default file name convention.
/// </summary>
internal static partial class ModelNaming
{
    public static ModelIdComponents GetComponents(string? modelId, long totalParameters)
    {
        if (modelId is null)
        {
            return new(null, null, null, null, null, null);
        }
        if (modelId.Contains(' '))
        {
            return new(modelId, null, null, null, null, null);
        }
        string? organization;
        string fullName;
        int slash = modelId.IndexOf('/');
        if (slash >= 0)
        {
            organization = modelId[..slash];
            fullName = modelId[(slash + 1)..];
        }
        else
        {
            organization = null;
            fullName = modelId;
        }
        if (organization is { Length: > 0 } && organization[0] == '.')
        {
            organization = null;
        }
        var parts = fullName.Split('-').Where(p => p.Length > 0).ToList();
        var types = parts.Select(_ => new HashSet<string>()).ToList();
        for (int i = 0; i < parts.Count; i++)
        {
            string part = parts[i];
            if (VersionPattern().IsMatch(part))
            {
                types[i].Add("version");
            }
            else if (TypePattern().IsMatch(part))
            {
                types[i].Add("type");
                parts[i] = part.ToUpperInvariant();
            }
            else if (i > 0 && SizePattern().IsMatch(part))
            {
                part = NormalizeSizeLabel(part);
                if (totalParameters != 0 && TrySizeLabelParameters(part, out double labelParameters))
                {
                    string? next = i + 1 < parts.Count ? NormalizeSizeLabel(parts[i + 1]) : null;
                    bool followedByActive = next is not null && ActiveParametersPattern().IsMatch(next)
                        && TrySizeLabelParameters(next[1..], out double active)
                        && Math.Abs(active - Math.Abs(totalParameters)) <= 7 * Math.Abs(totalParameters) / 8;
                    if (!followedByActive && ((totalParameters < 0 && labelParameters < Math.Abs(totalParameters) / 8)
                        || (totalParameters > 0 && Math.Abs(labelParameters - totalParameters) > 7 * totalParameters / 8)))
                    {
                        // Far from the real size: likely a context length, so a finetune tag.
                        types[i].Add("finetune");
                        part = part[..^1] + char.ToLowerInvariant(part[^1]);
                    }
                }
                if (types[i].Count == 0)
                {
                    types[i].Add("size_label");
                }
                parts[i] = part;
            }
            else if (i > 0 && FinetunePattern().IsMatch(part))
            {
                types[i].Add(totalParameters < 0 && part.Equals("lora", StringComparison.OrdinalIgnoreCase) ? "type" : "finetune");
            }
        }
        if (parts.Where((p, i) => types[i].Contains("size_label")).Any(p => p.Any(char.IsDigit)))
        {
            for (int i = 0; i < parts.Count; i++)
            {
                if (types[i].Contains("size_label") && parts[i].All(char.IsLetter))
                {
                    types[i].Remove("size_label");
                }
            }
        }
        bool atStart = true;
        for (int i = 0; i < parts.Count; i++)
        {
            if (atStart && ((types[i].Count == 0 && char.IsLetter(parts[i][0])) || types[i].Contains("version")))
            {
                types[i].Add("basename");
            }
            else
            {
                atStart = false;
                if (types[i].Count == 0)
                {
                    types[i].Add("finetune");
                }
            }
        }
        for (int i = parts.Count - 1; i >= 0; i--)
        {
            if (types[i].Contains("basename") && types[i].Count > 1)
            {
                types[i].Remove("basename");
            }
            else
            {
                break;
            }
        }
        string? Join(Func<int, bool> keep, bool distinct = false)
        {
            var selected = Enumerable.Range(0, parts.Count).Where(keep).Select(i => parts[i]);
            if (distinct)
            {
                selected = selected.Distinct(StringComparer.Ordinal);
            }
            string joined = string.Join("-", selected);
            return joined.Length == 0 ? null : joined;
        }
        string? basename = Join(i => types[i].Contains("basename"));
        string? sizeLabel = Join(i => types[i].Contains("size_label"), distinct: true);
        string? finetune = Join(i => types[i].Contains("finetune"));
        string? version = Join(i => types[i].Contains("version") && !types[i].Contains("basename"));
        if (sizeLabel is null && finetune is null && version is null)
        {
            basename = null;
        }
        return new(fullName, organization, basename, finetune, version, sizeLabel);
    }

    /// <summary>gguf-py's id_to_title: dashes to spaces, lower-case words title-cased unless they are versions or numbers.</summary>
    public static string IdToTitle(string id) =>
        string.Join(' ', id.Trim().Replace('-', ' ').Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => IsLower(w) && !TitleExemptPattern().IsMatch(w) ? PythonTitle(w) : w));

    /// <summary>gguf-py's size_label: 104K, 1.1B, 8x7.2B; experts counted when <paramref name="expertCount"/> is positive.</summary>
    public static string SizeLabel(long totalParameters, long sharedParameters = 0, long expertParameters = 0, int expertCount = 0) =>
        expertCount > 0
            ? $"{expertCount}x{RoundedNotation(Math.Abs(sharedParameters) + Math.Abs(expertParameters))}"
            : RoundedNotation(Math.Abs(totalParameters));

    public static string RoundedNotation(long parameters, int minDigits = 2)
    {
        (double scaled, string suffix) = parameters switch
        {
            >= 1_000_000_000_000 => (parameters * 1e-12, "T"),
            >= 1_000_000_000 => (parameters * 1e-9, "B"),
            >= 1_000_000 => (parameters * 1e-6, "M"),
            _ => (parameters * 1e-3, "K"),
        };
        // Python's round() is round-half-even, which Math.Round also is by default.
        string integral = Math.Round(scaled).ToString(CultureInfo.InvariantCulture).TrimStart('0');
        int decimals = Math.Max(minDigits - integral.Length, 0);
        return scaled.ToString("F" + decimals, CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>gguf-py's naming_convention for default output names: Basename-SizeLabel-Finetune-Version-Encoding.</summary>
    public static string FileNameStem(string? name, string? basename, string? finetune, string? version, string? sizeLabel, string? outputType)
    {
        string stem = basename is not null ? basename.Trim().Replace(' ', '-').Replace('/', '-')
            : name is not null ? name.Trim().Replace(' ', '-').Replace('/', '-')
            : "ggml-model";
        var sb = new StringBuilder(stem);
        if (sizeLabel is not null) sb.Append('-').Append(sizeLabel);
        if (finetune is not null) sb.Append('-').Append(finetune.Trim().Replace(' ', '-'));
        if (version is not null) sb.Append('-').Append(version.Trim().Replace(' ', '-'));
        if (outputType is not null) sb.Append('-').Append(outputType.Trim().Replace(' ', '-').ToUpperInvariant());
        return sb.ToString();
    }

    /// <summary>Fills {ftype}/{outtype} (lower case) and {FTYPE}/{OUTTYPE} (upper case) in an output file name.</summary>
    public static string FillTemplate(string fileName, string outputType) =>
        fileName.Replace("{ftype}", outputType.ToLowerInvariant(), StringComparison.Ordinal)
            .Replace("{outtype}", outputType.ToLowerInvariant(), StringComparison.Ordinal)
            .Replace("{FTYPE}", outputType.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{OUTTYPE}", outputType.ToUpperInvariant(), StringComparison.Ordinal);

    private static string NormalizeSizeLabel(string label)
    {
        label = label.Replace('_', '.');
        if (label.Length >= 2 && char.IsDigit(label[^1]))
        {
            // bloom-7b1 means 7.1B.
            label = label[..^2] + "." + label[^1] + label[^2];
        }
        if (label.Length > 1 && char.IsDigit(label[^2]) && "kmbt".Contains(label[^1]))
        {
            label = label[..^1] + char.ToUpperInvariant(label[^1]);
        }
        return label;
    }

    private static bool TrySizeLabelParameters(string label, out double parameters)
    {
        parameters = 0;
        if (label.Length < 2 || !double.TryParse(label[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            return false;
        }
        int power = " KMBT".IndexOf(label[^1]);
        parameters = value * Math.Pow(1000, power);
        return true;
    }

    private static bool IsLower(string s) => s.Any(char.IsLetter) && !s.Any(char.IsUpper);

    private static string PythonTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsLetter(c);
            sb.Append(cased ? (previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            previousCased = cased;
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^(v|iter)?\d+([.]\d+)*$", RegexOptions.IgnoreCase)]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^(i?q\d(_\w)*|b?fp?(16|32))$", RegexOptions.IgnoreCase)]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"^(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^A\d+([._]\d+)?[KMBT][\d]?$", RegexOptions.IgnoreCase)]
    private static partial Regex ActiveParametersPattern();

    [GeneratedRegex(@"^(chat|instruct|vision|lora)$", RegexOptions.IgnoreCase)]
    private static partial Regex FinetunePattern();

    [GeneratedRegex(@"^(v\d+(?:\.\d+)*|\d.*)$")]
    private static partial Regex TitleExemptPattern();
}
