namespace GgufPs.Tokenization;

/// <summary>
/// Splits text into words before BPE merges, as llama.cpp's unicode_regex_split: the patterns of the model's
/// tokenizer.ggml.pre are applied in turn, each refining the pieces of the previous one. The GPT-2 and Llama-3
/// patterns have hand-written splitters in llama.cpp (with their own corner cases), reproduced here; the others run
/// on a "collapsed" text where every non-ASCII codepoint is replaced by one byte per Unicode category, exactly as
/// llama.cpp feeds them to std::regex.
/// </summary>
internal sealed class BpePreTokenizer
{
    public const string Gpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    public const string Llama3Pattern =
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private const string Llama3PatternCaseInsensitive =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private const string QwenPattern =
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // The categories llama.cpp can collapse, the byte each becomes, and what the class stands for below U+0080.
    private static readonly (string Name, ushort Flag)[] CategoryNames =
    [
        ("\\p{N}", CodepointFlags.Number), ("\\p{L}", CodepointFlags.Letter), ("\\p{P}", CodepointFlags.Punctuation),
        ("\\p{M}", CodepointFlags.AccentMark), ("\\p{S}", CodepointFlags.Symbol), ("\\p{Lu}", CodepointFlags.Letter),
        ("\\p{Ll}", CodepointFlags.Letter), ("\\p{Lt}", CodepointFlags.Letter), ("\\p{Lm}", CodepointFlags.Letter),
        ("\\p{Lo}", CodepointFlags.Letter),
    ];

    private readonly Step[] _steps;
    private readonly bool _needsCollapsedText;

    private BpePreTokenizer(IReadOnlyList<string> patterns)
    {
        _needsCollapsedText = patterns.Any(UsesCategories);
        _steps = patterns.Select(CreateStep).ToArray();
    }

    public static BpePreTokenizer ForPreType(BpePreType preType) => new(PatternsFor(preType));

    /// <summary>The words of <paramref name="text"/>, each already in GPT-2's byte-to-character encoding.</summary>
    public List<byte[]> Split(ReadOnlySpan<byte> text)
    {
        int[] cpts = Utf8Codepoints.Decode(text);
        int[]? collapsed = _needsCollapsedText ? Collapse(cpts) : null;
        int[]? wide = null;

        var offsets = new List<int> { cpts.Length };
        foreach (var step in _steps)
        {
            var next = new List<int>(offsets.Count * 2);
            int start = 0;
            switch (step.Kind)
            {
                case StepKind.Gpt2:
                    foreach (int length in offsets)
                    {
                        SplitGpt2(cpts, start, start + length, next);
                        start += length;
                    }
                    break;
                case StepKind.Llama3:
                    foreach (int length in offsets)
                    {
                        SplitLlama3(cpts, start, start + length, next);
                        start += length;
                    }
                    break;
                default:
                    int[] subject = step.Kind == StepKind.Collapsed ? collapsed! : (wide ??= WithAsciiWhitespace(cpts));
                    foreach (int length in offsets)
                    {
                        step.Regex!.Split(subject, start, length, next);
                        start += length;
                    }
                    break;
            }
            offsets = next;
        }

        var words = new List<byte[]>(offsets.Count);
        var utf8 = new List<byte>();
        var encoded = new List<byte>();
        int position = 0;
        foreach (int length in offsets)
        {
            utf8.Clear();
            for (int i = position; i < position + length; i++)
            {
                Utf8Codepoints.Append(utf8, cpts[i]);
            }
            position += length;
            encoded.Clear();
            foreach (byte b in utf8)
            {
                Utf8Codepoints.Append(encoded, Gpt2ByteEncoding.Encode(b));
            }
            words.Add(encoded.ToArray());
        }
        return words;
    }

    private static bool UsesCategories(string pattern) => CategoryNames.Any(c => pattern.Contains(c.Name, StringComparison.Ordinal));

    private static Step CreateStep(string pattern)
    {
        if (pattern == Gpt2Pattern)
        {
            return new Step(StepKind.Gpt2, null);
        }
        if (pattern == Llama3Pattern || pattern == Llama3PatternCaseInsensitive)
        {
            return new Step(StepKind.Llama3, null);
        }
        if (UsesCategories(pattern))
        {
            if (pattern.Any(ch => ch >= 128))
            {
                throw new NotSupportedException($"The pre-tokenizer pattern '{pattern}' mixes Unicode categories and non-ASCII characters, which llama.cpp does not support either.");
            }
            return new Step(StepKind.Collapsed, new CodepointRegex(CollapsePattern(pattern)));
        }
        return new Step(StepKind.Wide, new CodepointRegex(pattern));
    }

    /// <summary>Replaces \p{..} classes by the collapsed byte plus the ASCII members of the category.</summary>
    private static string CollapsePattern(string pattern)
    {
        var sb = new System.Text.StringBuilder();
        bool inside = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '[' && (i == 0 || pattern[i - 1] != '\\'))
            {
                sb.Append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && pattern[i - 1] != '\\')
            {
                sb.Append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < pattern.Length && pattern[i + 1] == 'p' && pattern[i + 2] == '{')
            {
                int closing = pattern.IndexOf('}', i + 3);
                if (closing >= 0 && closing <= i + 10)
                {
                    string name = pattern.Substring(i, closing - i + 1);
                    int index = Array.FindIndex(CategoryNames, n => n.Name == name);
                    if (index >= 0)
                    {
                        ushort flag = CategoryNames[index].Flag;
                        if (!inside)
                        {
                            sb.Append('[');
                        }
                        sb.Append((char)CollapsedByte(flag));
                        sb.Append(AsciiMembers(flag));
                        if (!inside)
                        {
                            sb.Append(']');
                        }
                        i = closing;
                        continue;
                    }
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static int CollapsedByte(ushort category) => category switch
    {
        CodepointFlags.Number => 0xD1,
        CodepointFlags.Letter => 0xD2,
        CodepointFlags.Punctuation => 0xD3,
        CodepointFlags.AccentMark => 0xD4,
        CodepointFlags.Symbol => 0xD5,
        _ => 0xD0,
    };

    private static string AsciiMembers(ushort category) => category switch
    {
        CodepointFlags.Number => "0-9",
        CodepointFlags.Letter => "A-Za-z",
        CodepointFlags.Punctuation => "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
        CodepointFlags.Symbol => "\\$\\+<->^`\\|",
        _ => "",
    };

    private static int[] Collapse(int[] cpts)
    {
        var result = new int[cpts.Length];
        for (int i = 0; i < cpts.Length; i++)
        {
            int c = cpts[i];
            if (c < 128)
            {
                result[i] = c;
                continue;
            }
            var flags = CodepointFlags.Of(c);
            // std::regex's \s knows only ASCII whitespace, so other whitespace stands in as a vertical tab.
            result[i] = flags.IsWhitespace ? 0x0B : CollapsedByte(flags.Category);
        }
        return result;
    }

    private static int[] WithAsciiWhitespace(int[] cpts)
    {
        var result = (int[])cpts.Clone();
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] > 0x7F && CodepointFlags.Of(result[i]).IsWhitespace)
            {
                result[i] = 0x0B;
            }
        }
        return result;
    }

    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ as unicode_regex_split_custom_gpt2.
    private static void SplitGpt2(int[] cpts, int begin, int end, List<int> output)
    {
        int Cpt(int pos) => pos >= begin && pos < end ? cpts[pos] : -1;
        CodepointFlags Flags(int pos) => pos >= begin && pos < end ? CodepointFlags.Of(cpts[pos]) : CodepointFlags.Outside;

        int previousEnd = begin;
        int AddToken(int tokenEnd)
        {
            int length = tokenEnd - previousEnd;
            if (length > 0)
            {
                output.Add(length);
            }
            previousEnd = tokenEnd;
            return length;
        }

        for (int pos = begin; pos < end;)
        {
            int cpt = Cpt(pos);
            var flags = Flags(pos);

            if (cpt == '\'' && pos + 1 < end)
            {
                int nextCpt = Cpt(pos + 1);
                if (nextCpt is 's' or 't' or 'm' or 'd')
                {
                    pos += AddToken(pos + 2);
                    continue;
                }
                if (pos + 2 < end)
                {
                    int nextNext = Cpt(pos + 2);
                    if ((nextCpt == 'r' && nextNext == 'e') || (nextCpt == 'v' && nextNext == 'e') || (nextCpt == 'l' && nextNext == 'l'))
                    {
                        pos += AddToken(pos + 3);
                        continue;
                    }
                }
            }

            var flags2 = cpt == ' ' ? Flags(pos + 1) : flags;
            if (flags2.IsLetter)
            {
                pos += cpt == ' ' ? 1 : 0;
                while (flags2.IsLetter)
                {
                    flags2 = Flags(++pos);
                }
                AddToken(pos);
                continue;
            }
            if (flags2.IsNumber)
            {
                pos += cpt == ' ' ? 1 : 0;
                while (flags2.IsNumber)
                {
                    flags2 = Flags(++pos);
                }
                AddToken(pos);
                continue;
            }
            if (!(flags2.IsWhitespace || flags2.IsLetter || flags2.IsNumber) && !flags2.IsEmpty)
            {
                pos += cpt == ' ' ? 1 : 0;
                while (!(flags2.IsWhitespace || flags2.IsLetter || flags2.IsNumber) && !flags2.IsEmpty)
                {
                    flags2 = Flags(++pos);
                }
                AddToken(pos);
                continue;
            }

            int whitespaces = 0;
            while (Flags(pos + whitespaces).IsWhitespace)
            {
                whitespaces++;
            }
            if (whitespaces > 1 && Cpt(pos + whitespaces) != -1)
            {
                pos += whitespaces - 1;
                AddToken(pos);
                continue;
            }
            if (whitespaces > 0)
            {
                pos += whitespaces;
                AddToken(pos);
                continue;
            }
            AddToken(++pos);
        }
    }

    // The Llama-3 pattern as unicode_regex_split_custom_llama3.
    private static void SplitLlama3(int[] cpts, int begin, int end, List<int> output)
    {
        int Cpt(int pos) => pos >= begin && pos < end ? cpts[pos] : -1;
        CodepointFlags Flags(int pos) => pos >= begin && pos < end ? CodepointFlags.Of(cpts[pos]) : CodepointFlags.Outside;
        static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

        int previousEnd = begin;
        int AddToken(int tokenEnd)
        {
            int length = tokenEnd - previousEnd;
            if (length > 0)
            {
                output.Add(length);
            }
            previousEnd = tokenEnd;
            return length;
        }

        for (int pos = begin; pos < end;)
        {
            int cpt = Cpt(pos);
            var flags = Flags(pos);

            if (cpt == '\'' && pos + 1 < end)
            {
                int nextCpt = Lower(Cpt(pos + 1));
                if (nextCpt is 's' or 't' or 'm' or 'd')
                {
                    pos += AddToken(pos + 2);
                    continue;
                }
                if (pos + 2 < end)
                {
                    int nextNext = Lower(Cpt(pos + 2));
                    if ((nextCpt == 'r' && nextNext == 'e') || (nextCpt == 'v' && nextNext == 'e') || (nextCpt == 'l' && nextNext == 'l'))
                    {
                        pos += AddToken(pos + 3);
                        continue;
                    }
                }
            }

            if (!(cpt == '\r' || cpt == '\n' || flags.IsNumber))
            {
                if (flags.IsLetter || Flags(pos + 1).IsLetter)
                {
                    pos++;
                    while (Flags(pos).IsLetter)
                    {
                        pos++;
                    }
                    AddToken(pos);
                    continue;
                }
            }

            if (flags.IsNumber)
            {
                int ini = pos;
                while (Flags(pos).IsNumber)
                {
                    if (++pos - ini >= 3)
                    {
                        AddToken(pos);
                        ini = pos;
                    }
                }
                AddToken(pos);
                continue;
            }

            var flags2 = cpt == ' ' ? Flags(pos + 1) : flags;
            if (!(flags2.IsWhitespace || flags2.IsLetter || flags2.IsNumber) && !flags.IsEmpty)
            {
                pos += cpt == ' ' ? 1 : 0;
                while (!(flags2.IsWhitespace || flags2.IsLetter || flags2.IsNumber) && !flags2.IsEmpty)
                {
                    flags2 = Flags(++pos);
                }
                int cpt2 = Cpt(pos);
                while (cpt2 == '\r' || cpt2 == '\n')
                {
                    cpt2 = Cpt(++pos);
                }
                AddToken(pos);
                continue;
            }

            int whitespaces = 0;
            int lastEndOfLine = 0;
            while (Flags(pos + whitespaces).IsWhitespace)
            {
                int cpt2 = Cpt(pos + whitespaces);
                if (cpt2 == '\r' || cpt2 == '\n')
                {
                    lastEndOfLine = pos + whitespaces + 1;
                }
                whitespaces++;
            }
            if (lastEndOfLine > 0)
            {
                pos = lastEndOfLine;
                AddToken(pos);
                continue;
            }
            if (whitespaces > 1 && Cpt(pos + whitespaces) != -1)
            {
                pos += whitespaces - 1;
                AddToken(pos);
                continue;
            }
            if (whitespaces > 0)
            {
                pos += whitespaces;
                AddToken(pos);
                continue;
            }
            AddToken(++pos);
        }
    }

    private static IReadOnlyList<string> PatternsFor(BpePreType preType) => preType switch
    {
        BpePreType.Llama3 or BpePreType.Dbrx or BpePreType.Smaug => [Llama3Pattern],
        BpePreType.DeepseekLlm =>
        [
            "[\r\n]",
            "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+",
            "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
            "\\s+$",
            "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
            "\\p{N}+",
        ],
        BpePreType.Deepseek3Llm or BpePreType.HunyuanDense =>
        [
            "\\p{N}{1,3}",
            "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.DeepseekCoder =>
        [
            "[\r\n]",
            "\\s?\\p{L}+",
            "\\s?\\p{P}+",
            "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
            "\\p{N}",
        ],
        BpePreType.Falcon =>
        [
            "[\\p{P}\\$\\+<=>\\^~\\|`]+",
            Gpt2Pattern,
            "[0-9][0-9][0-9]",
        ],
        BpePreType.Starcoder or BpePreType.Refact or BpePreType.CommandR or BpePreType.Smollm or BpePreType.Codeshell
            or BpePreType.Exaone or BpePreType.Minerva => ["\\p{N}", Gpt2Pattern],
        BpePreType.Gpt2 or BpePreType.Mpt or BpePreType.Olmo or BpePreType.Jais or BpePreType.Trillion => [Gpt2Pattern],
        BpePreType.Qwen2 or BpePreType.StableLm2 or BpePreType.Hunyuan or BpePreType.Grok2 => [QwenPattern],
        BpePreType.Poro or BpePreType.Bloom or BpePreType.Gpt3Finnish => [" ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+"],
        BpePreType.Chatglm4 =>
        [
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.Viking => [" ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+", "\\p{N}"],
        BpePreType.Tekken =>
        [
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.Chameleon =>
        [
            "<sentinel:[0-9]+>",
            "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
            "([\\t\\n]|    |  )",
            "\\p{N}",
            "[\\p{P}!-/:-@\\[-`{-~]",
            Gpt2Pattern,
        ],
        BpePreType.Gpt4o =>
        [
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.SuperBpe => ["\\p{N}+", "(?=(\\d{3})+(?!\\d))"],
        BpePreType.BailingMoe =>
        [
            "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.SeedCoder =>
        [
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        _ =>
        [
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            Gpt2Pattern,
            "\\p{N}+",
            "[0-9][0-9][0-9]",
        ],
    };

    private enum StepKind
    {
        Gpt2,
        Llama3,
        Collapsed,
        Wide,
    }

    private sealed record Step(StepKind Kind, CodepointRegex? Regex);
}
