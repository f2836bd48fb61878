using System.Text;
using System.Text.RegularExpressions;

namespace GgufPs.Hub;

/// <summary>
/// -Include/-Exclude patterns as huggingface_hub's filter_repo_objects applies them: Python fnmatch on the whole
/// path ('*' also crosses '/', '?' one character, [abc] and [!abc] sets), case-sensitive as on POSIX, and a pattern
/// ending with '/' matches everything under that folder.
/// </summary>
internal sealed class HfGlobPattern
{
    private readonly Regex _regex;

    public HfGlobPattern(string pattern)
    {
        Pattern = pattern.EndsWith('/') ? pattern + "*" : pattern;
        _regex = new Regex("^" + Translate(Pattern) + @"\z", RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    public string Pattern { get; }

    public bool IsMatch(string path) => _regex.IsMatch(path);

    /// <summary>Kept when it matches an include pattern (or there are none) and no exclude pattern.</summary>
    public static bool Selects(string path, IReadOnlyList<HfGlobPattern> include, IReadOnlyList<HfGlobPattern> exclude) =>
        (include.Count == 0 || include.Any(p => p.IsMatch(path))) && !exclude.Any(p => p.IsMatch(path));

    private static string Translate(string pattern)
    {
        var regex = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*')
            {
                regex.Append(".*");
            }
            else if (c == '?')
            {
                regex.Append('.');
            }
            else if (c == '[' && pattern.IndexOf(']', Math.Min(i + 2, pattern.Length)) is int close && close > i)
            {
                string set = pattern[(i + 1)..close];
                bool negate = set.StartsWith('!');
                if (negate)
                {
                    set = set[1..];
                }
                regex.Append('[').Append(negate ? "^" : "").Append(set.Replace(@"\", @"\\").Replace("[", @"\[").Replace("^", @"\^")).Append(']');
                i = close;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }
        return regex.ToString();
    }
}
