namespace GgufPs.Tokenization;

/// <summary>
/// A backtracking regular expression over codepoints with the ECMAScript semantics of std::regex, which llama.cpp
/// uses for the pre-tokenizer patterns it has no hand-written splitter for. It covers the subset those patterns use:
/// alternation, groups, lookahead, classes with ranges, the ASCII class escapes, greedy and lazy quantifiers, ^ $ \b.
/// Working on codepoints rather than UTF-16 keeps ranges beyond U+FFFF (deepseek-llm's) exact.
/// </summary>
internal sealed class CodepointRegex
{
    private readonly Node _root;

    public CodepointRegex(string pattern)
    {
        var codepoints = new List<int>(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            if (char.IsHighSurrogate(pattern[i]) && i + 1 < pattern.Length && char.IsLowSurrogate(pattern[i + 1]))
            {
                codepoints.Add(char.ConvertToUtf32(pattern[i], pattern[i + 1]));
                i++;
            }
            else
            {
                codepoints.Add(pattern[i]);
            }
        }
        _root = new Parser(codepoints.ToArray(), pattern).Parse();
    }

    /// <summary>
    /// Splits text[start, start + length) as unicode_regex_split_stl does with std::regex_iterator: every match and
    /// every gap between matches becomes a piece, in order; their lengths are appended to <paramref name="pieces"/>.
    /// </summary>
    public void Split(int[] text, int start, int length, List<int> pieces)
    {
        var context = new Context(text, start, start + length);
        int end = start + length;
        int previousEnd = start;
        bool found = Search(context, start, notNull: false, continuous: false, out int matchStart, out int matchEnd);
        while (found)
        {
            if (matchStart > previousEnd)
            {
                pieces.Add(matchStart - previousEnd);
            }
            pieces.Add(matchEnd - matchStart);
            previousEnd = matchEnd;

            int from = matchEnd;
            if (matchStart == matchEnd)
            {
                if (from == end)
                {
                    break;
                }
                if (Search(context, from, notNull: true, continuous: true, out matchStart, out matchEnd))
                {
                    continue;
                }
                from++;
            }
            found = Search(context, from, notNull: false, continuous: false, out matchStart, out matchEnd);
        }
        if (previousEnd < end)
        {
            pieces.Add(end - previousEnd);
        }
    }

    private bool Search(Context context, int from, bool notNull, bool continuous, out int matchStart, out int matchEnd)
    {
        int last = continuous ? from : context.End;
        for (int s = from; s <= last; s++)
        {
            int found = -1;
            int begin = s;
            if (_root.Match(context, s, e =>
            {
                if (notNull && e == begin)
                {
                    return false;
                }
                found = e;
                return true;
            }))
            {
                matchStart = s;
                matchEnd = found;
                return true;
            }
        }
        matchStart = matchEnd = -1;
        return false;
    }

    private sealed class Context(int[] text, int start, int end)
    {
        public readonly int[] Text = text;
        public readonly int Start = start;
        public readonly int End = end;
    }

    private abstract class Node
    {
        /// <summary>True when the node always consumes exactly one codepoint without inner choices.</summary>
        public virtual bool IsSingleCodepoint => false;

        /// <summary>For single-codepoint nodes: whether the codepoint at <paramref name="pos"/> (inside the text) matches.</summary>
        public virtual bool MatchesAt(Context c, int pos) => throw new InvalidOperationException();

        public abstract bool Match(Context c, int pos, Func<int, bool> next);
    }

    private sealed class ClassNode(List<(int Low, int High)> ranges, List<char> escapes, bool negated) : Node
    {
        public override bool IsSingleCodepoint => true;

        public override bool MatchesAt(Context c, int pos) => Contains(c.Text[pos]) != negated;

        public override bool Match(Context c, int pos, Func<int, bool> next) =>
            pos < c.End && MatchesAt(c, pos) && next(pos + 1);

        private bool Contains(int cp)
        {
            foreach (var (low, high) in ranges)
            {
                if (cp >= low && cp <= high)
                {
                    return true;
                }
            }
            foreach (char e in escapes)
            {
                if (ClassEscapeMatches(e, cp))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class SequenceNode(Node[] items) : Node
    {
        private readonly bool _single = ComputeSingle(items);

        public override bool IsSingleCodepoint => _single;

        public override bool MatchesAt(Context c, int pos)
        {
            foreach (var item in items)
            {
                if (!item.MatchesAt(c, pos))
                {
                    return false;
                }
            }
            return true;
        }

        public override bool Match(Context c, int pos, Func<int, bool> next)
        {
            if (_single)
            {
                return pos < c.End && MatchesAt(c, pos) && next(pos + 1);
            }
            return MatchFrom(0, c, pos, next);
        }

        private bool MatchFrom(int index, Context c, int pos, Func<int, bool> next)
        {
            if (index == items.Length)
            {
                return next(pos);
            }
            var item = items[index];
            if (index == items.Length - 1)
            {
                return item.Match(c, pos, next);
            }
            return item.Match(c, pos, p => MatchFrom(index + 1, c, p, next));
        }

        // Lookaheads of one codepoint in front of one codepoint test the same position, so the whole is one test.
        private static bool ComputeSingle(Node[] items)
        {
            int consuming = 0;
            foreach (var item in items)
            {
                if (item is LookaheadNode look)
                {
                    if (!look.IsSingleCodepointTest)
                    {
                        return false;
                    }
                }
                else if (item.IsSingleCodepoint)
                {
                    consuming++;
                }
                else
                {
                    return false;
                }
            }
            return consuming == 1 && items[^1] is not LookaheadNode;
        }
    }

    private sealed class AlternationNode(Node[] alternatives) : Node
    {
        private readonly bool _single = alternatives.All(a => a.IsSingleCodepoint);

        public override bool IsSingleCodepoint => _single;

        public override bool MatchesAt(Context c, int pos)
        {
            foreach (var a in alternatives)
            {
                if (a.MatchesAt(c, pos))
                {
                    return true;
                }
            }
            return false;
        }

        public override bool Match(Context c, int pos, Func<int, bool> next)
        {
            foreach (var a in alternatives)
            {
                if (a.Match(c, pos, next))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class RepeatNode(Node item, int min, int max, bool greedy) : Node
    {
        public override bool Match(Context c, int pos, Func<int, bool> next)
        {
            if (item.IsSingleCodepoint)
            {
                int limit = max == int.MaxValue ? c.End - pos : Math.Min(max, c.End - pos);
                int n = 0;
                while (n < limit && item.MatchesAt(c, pos + n))
                {
                    n++;
                }
                if (n < min)
                {
                    return false;
                }
                if (greedy)
                {
                    for (int k = n; k >= min; k--)
                    {
                        if (next(pos + k))
                        {
                            return true;
                        }
                    }
                    return false;
                }
                for (int k = min; k <= n; k++)
                {
                    if (next(pos + k))
                    {
                        return true;
                    }
                }
                return false;
            }
            return MatchCount(0, c, pos, next);
        }

        private bool MatchCount(int count, Context c, int pos, Func<int, bool> next)
        {
            if (count < min)
            {
                return item.Match(c, pos, p => MatchCount(count + 1, c, p, next));
            }
            // An iteration past the minimum that consumes nothing fails, as ECMAScript requires.
            if (greedy)
            {
                return (count < max && item.Match(c, pos, p => p != pos && MatchCount(count + 1, c, p, next))) || next(pos);
            }
            return next(pos) || (count < max && item.Match(c, pos, p => p != pos && MatchCount(count + 1, c, p, next)));
        }
    }

    private sealed class LookaheadNode(Node inner, bool negative) : Node
    {
        public bool IsSingleCodepointTest => inner.IsSingleCodepoint;

        public override bool MatchesAt(Context c, int pos) => inner.MatchesAt(c, pos) != negative;

        public override bool Match(Context c, int pos, Func<int, bool> next)
        {
            bool matched = inner.Match(c, pos, _ => true);
            return matched != negative && next(pos);
        }
    }

    private sealed class AssertionNode(char kind) : Node
    {
        public override bool Match(Context c, int pos, Func<int, bool> next)
        {
            bool ok = kind switch
            {
                '^' => pos == c.Start,
                '$' => pos == c.End,
                'b' => IsWordAt(c, pos - 1) != IsWordAt(c, pos),
                'B' => IsWordAt(c, pos - 1) == IsWordAt(c, pos),
                _ => false,
            };
            return ok && next(pos);
        }

        private static bool IsWordAt(Context c, int pos) => pos >= c.Start && pos < c.End && ClassEscapeMatches('w', c.Text[pos]);
    }

    /// <summary>The class escapes as std::regex has them in the "C" locale: ASCII only.</summary>
    private static bool ClassEscapeMatches(char escape, int cp) => escape switch
    {
        'd' => cp is >= '0' and <= '9',
        'D' => cp is not (>= '0' and <= '9'),
        'w' => cp is (>= '0' and <= '9') or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_',
        'W' => cp is not ((>= '0' and <= '9') or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_'),
        's' => cp is ' ' or (>= 0x09 and <= 0x0D),
        'S' => cp is not (' ' or (>= 0x09 and <= 0x0D)),
        _ => false,
    };

    private sealed class Parser(int[] p, string source)
    {
        private int _i;

        public Node Parse()
        {
            var node = ParseAlternation();
            if (_i != p.Length)
            {
                throw Error("unbalanced ')'");
            }
            return node;
        }

        private Node ParseAlternation()
        {
            var alternatives = new List<Node> { ParseSequence() };
            while (_i < p.Length && p[_i] == '|')
            {
                _i++;
                alternatives.Add(ParseSequence());
            }
            return alternatives.Count == 1 ? alternatives[0] : new AlternationNode(alternatives.ToArray());
        }

        private Node ParseSequence()
        {
            var items = new List<Node>();
            while (_i < p.Length && p[_i] != '|' && p[_i] != ')')
            {
                items.Add(ParseTerm());
            }
            return items.Count == 1 ? items[0] : new SequenceNode(items.ToArray());
        }

        private Node ParseTerm()
        {
            var atom = ParseAtom();
            if (_i >= p.Length)
            {
                return atom;
            }
            int min, max;
            switch (p[_i])
            {
                case '*':
                    min = 0; max = int.MaxValue; _i++;
                    break;
                case '+':
                    min = 1; max = int.MaxValue; _i++;
                    break;
                case '?':
                    min = 0; max = 1; _i++;
                    break;
                case '{':
                    _i++;
                    min = ReadNumber();
                    max = min;
                    if (_i < p.Length && p[_i] == ',')
                    {
                        _i++;
                        max = _i < p.Length && p[_i] == '}' ? int.MaxValue : ReadNumber();
                    }
                    Expect('}');
                    break;
                default:
                    return atom;
            }
            bool greedy = true;
            if (_i < p.Length && p[_i] == '?')
            {
                greedy = false;
                _i++;
            }
            if (atom is AssertionNode or LookaheadNode)
            {
                throw Error("nothing to repeat");
            }
            return new RepeatNode(atom, min, max, greedy);
        }

        private Node ParseAtom()
        {
            int c = p[_i++];
            switch (c)
            {
                case '(':
                {
                    Node inner;
                    if (_i + 1 < p.Length && p[_i] == '?')
                    {
                        int kind = p[_i + 1];
                        _i += 2;
                        inner = ParseAlternation();
                        Expect(')');
                        return kind switch
                        {
                            ':' => inner,
                            '=' => new LookaheadNode(inner, negative: false),
                            '!' => new LookaheadNode(inner, negative: true),
                            _ => throw Error("unsupported group"),
                        };
                    }
                    inner = ParseAlternation();
                    Expect(')');
                    return inner;
                }
                case '[':
                    return ParseClass();
                case '.':
                    return new ClassNode([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)], [], negated: true);
                case '^':
                case '$':
                    return new AssertionNode((char)c);
                case '\\':
                {
                    int e = Peek();
                    if (e is 'b' or 'B')
                    {
                        _i++;
                        return new AssertionNode((char)e);
                    }
                    if (e is 'd' or 'D' or 'w' or 'W' or 's' or 'S')
                    {
                        _i++;
                        return new ClassNode([], [(char)e], negated: false);
                    }
                    int literal = ReadEscape();
                    return new ClassNode([(literal, literal)], [], negated: false);
                }
                case '*' or '+' or '?' or ')':
                    throw Error("unexpected '" + (char)c + "'");
                default:
                    return new ClassNode([(c, c)], [], negated: false);
            }
        }

        private ClassNode ParseClass()
        {
            bool negated = false;
            if (_i < p.Length && p[_i] == '^')
            {
                negated = true;
                _i++;
            }
            var ranges = new List<(int, int)>();
            var escapes = new List<char>();
            while (true)
            {
                if (_i >= p.Length)
                {
                    throw Error("unterminated character class");
                }
                if (p[_i] == ']')
                {
                    _i++;
                    break;
                }
                if (p[_i] == '\\' && _i + 1 < p.Length && p[_i + 1] is 'd' or 'D' or 'w' or 'W' or 's' or 'S')
                {
                    escapes.Add((char)p[_i + 1]);
                    _i += 2;
                    continue;
                }
                int low = ReadClassCodepoint();
                if (_i + 1 < p.Length && p[_i] == '-' && p[_i + 1] != ']')
                {
                    _i++;
                    int high = ReadClassCodepoint();
                    if (high < low)
                    {
                        throw Error("invalid range");
                    }
                    ranges.Add((low, high));
                }
                else
                {
                    ranges.Add((low, low));
                }
            }
            return new ClassNode(ranges, escapes, negated);
        }

        private int ReadClassCodepoint()
        {
            int c = p[_i++];
            if (c != '\\')
            {
                return c;
            }
            if (Peek() == 'b')
            {
                _i++;
                return 8;
            }
            return ReadEscape();
        }

        /// <summary>An escape after its backslash, as a literal codepoint.</summary>
        private int ReadEscape()
        {
            if (_i >= p.Length)
            {
                throw Error("trailing backslash");
            }
            int e = p[_i++];
            switch (e)
            {
                case 'n': return 0x0A;
                case 'r': return 0x0D;
                case 't': return 0x09;
                case 'f': return 0x0C;
                case 'v': return 0x0B;
                case '0': return 0;
                case 'x': return ReadHex(2);
                case 'u': return ReadHex(4);
                case 'c':
                    return p[_i++] % 32;
                default:
                    return e;
            }
        }

        private int ReadHex(int digits)
        {
            int value = 0;
            for (int k = 0; k < digits; k++)
            {
                if (_i >= p.Length || !Uri.IsHexDigit((char)p[_i]))
                {
                    throw Error("bad hex escape");
                }
                value = value * 16 + Convert.ToInt32(((char)p[_i++]).ToString(), 16);
            }
            return value;
        }

        private int ReadNumber()
        {
            int start = _i;
            int value = 0;
            while (_i < p.Length && p[_i] is >= '0' and <= '9')
            {
                value = checked(value * 10 + (p[_i++] - '0'));
            }
            if (_i == start)
            {
                throw Error("bad quantifier");
            }
            return value;
        }

        private int Peek() => _i < p.Length ? p[_i] : -1;

        private void Expect(char c)
        {
            if (_i >= p.Length || p[_i] != c)
            {
                throw Error("expected '" + c + "'");
            }
            _i++;
        }

        private ArgumentException Error(string what) => new($"Cannot parse the pre-tokenizer pattern '{source}': {what} at {_i}.");
    }
}
