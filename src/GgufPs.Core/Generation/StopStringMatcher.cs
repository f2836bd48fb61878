using System.Text;

namespace GgufPs.Generation;

/// <summary>
/// Watches generated text for stop strings as llama-server does: the text ends where the first stop string begins,
/// and text that could still turn out to be the start of one is held back, so nothing shown is taken back later.
/// </summary>
internal sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _text = new();
    private int _shown;

    public StopStringMatcher(IEnumerable<string> stops)
    {
        _stops = stops.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The text so far, cut before the stop string once one was found.</summary>
    public string Text => _text.ToString();

    /// <summary>The stop string found, or null.</summary>
    public string? Found { get; private set; }

    /// <summary>Adds generated text and returns what can be shown now (possibly empty).</summary>
    public string Append(string piece)
    {
        if (Found is not null)
        {
            throw new InvalidOperationException("A stop string was already found.");
        }
        _text.Append(piece);
        string pending = _text.ToString(_shown, _text.Length - _shown);
        // What was shown holds no stop string and no start of one, so a stop string can only begin in what is pending.
        int cut = -1;
        foreach (string stop in _stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                (cut, Found) = (at, stop);
            }
        }
        if (cut >= 0)
        {
            _text.Length = _shown + cut;
            _shown = _text.Length;
            return pending[..cut];
        }
        int held = 0;
        foreach (string stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, pending.Length); length > held; length--)
            {
                if (pending.AsSpan(pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    held = length;
                    break;
                }
            }
        }
        string ready = pending[..^held];
        _shown += ready.Length;
        return ready;
    }

    /// <summary>The text held back at the end of the generation, which no stop string completed.</summary>
    public string Flush()
    {
        string rest = _text.ToString(_shown, _text.Length - _shown);
        _shown = _text.Length;
        return rest;
    }
}
