using System.Globalization;

namespace GgufPs.Tokenization;

/// <summary>
/// The Unicode class of a codepoint as llama.cpp's unicode_cpt_flags sees it: one general category bit plus the
/// White_Space property. The default value (no bits) stands for "outside the text", which the pre-tokenizers use as
/// a stop condition, so a real codepoint always has at least one bit set.
/// </summary>
internal readonly struct CodepointFlags
{
    public const ushort Undefined = 0x0001;
    public const ushort Number = 0x0002;
    public const ushort Letter = 0x0004;
    public const ushort Separator = 0x0008;
    public const ushort AccentMark = 0x0010;
    public const ushort Punctuation = 0x0020;
    public const ushort Symbol = 0x0040;
    public const ushort Control = 0x0080;
    public const ushort CategoryMask = 0x00FF;
    public const ushort WhitespaceBit = 0x0100;

    private readonly ushort _bits;

    private CodepointFlags(ushort bits) => _bits = bits;

    public ushort Bits => _bits;

    public bool IsNumber => (_bits & Number) != 0;

    public bool IsLetter => (_bits & Letter) != 0;

    public bool IsWhitespace => (_bits & WhitespaceBit) != 0;

    public bool IsPunctuation => (_bits & Punctuation) != 0;

    public bool IsSymbol => (_bits & Symbol) != 0;

    public bool IsAccentMark => (_bits & AccentMark) != 0;

    public bool IsControl => (_bits & Control) != 0;

    public bool IsEmpty => _bits == 0;

    public ushort Category => (ushort)(_bits & CategoryMask);

    public static CodepointFlags Outside => default;

    public static CodepointFlags Of(int codepoint)
    {
        if ((uint)codepoint > 0x10FFFF || IsAssignedAfterUnicode15(codepoint))
        {
            return new CodepointFlags(Undefined);
        }
        ushort bits = CharUnicodeInfo.GetUnicodeCategory(codepoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => AccentMark,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => Punctuation,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => Symbol,
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => Separator,
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse => Control,
            _ => Undefined,
        };
        if (IsWhiteSpaceProperty(codepoint))
        {
            bits |= WhitespaceBit;
        }
        return new CodepointFlags(bits);
    }

    /// <summary>
    /// Whether a codepoint was first assigned after Unicode 15.1, the version of llama.cpp's tables (unicode-data.cpp):
    /// llama.cpp sees these as unassigned, while .NET's own tables know them.
    /// </summary>
    public static bool IsAssignedAfterUnicode15(int codepoint)
    {
        if (codepoint < 0x897)
        {
            return false;
        }
        var ranges = Unicode16Additions;
        int lo = 0;
        int hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (codepoint < ranges[mid * 2])
            {
                hi = mid - 1;
            }
            else if (codepoint > ranges[mid * 2 + 1])
            {
                lo = mid + 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>(first, last) ranges of the characters Unicode 16.0 added, which .NET 10's tables include.</summary>
    private static ReadOnlySpan<int> Unicode16Additions =>
    [
        0x897, 0x897, 0x1B4E, 0x1B4F, 0x1B7F, 0x1B7F, 0x1C89, 0x1C8A, 0x2427, 0x2429, 0x31E4, 0x31E5, 0xA7CB, 0xA7CD, 0xA7DA, 0xA7DC,
        0x105C0, 0x105F3, 0x10D40, 0x10D65, 0x10D69, 0x10D85, 0x10D8E, 0x10D8F, 0x10EC2, 0x10EC4, 0x10EFC, 0x10EFC, 0x11380, 0x11389, 0x1138B, 0x1138B,
        0x1138E, 0x1138E, 0x11390, 0x113B5, 0x113B7, 0x113C0, 0x113C2, 0x113C2, 0x113C5, 0x113C5, 0x113C7, 0x113CA, 0x113CC, 0x113D5, 0x113D7, 0x113D8,
        0x113E1, 0x113E2, 0x116D0, 0x116E3, 0x11BC0, 0x11BE1, 0x11BF0, 0x11BF9, 0x11F5A, 0x11F5A, 0x13460, 0x143FA, 0x16100, 0x16139, 0x16D40, 0x16D79,
        0x18CFF, 0x18CFF, 0x1CC00, 0x1CCF9, 0x1CD00, 0x1CEB3, 0x1E5D0, 0x1E5FA, 0x1E5FF, 0x1E5FF, 0x1F8B2, 0x1F8BB, 0x1F8C0, 0x1F8C1, 0x1FA89, 0x1FA89,
        0x1FA8F, 0x1FA8F, 0x1FABE, 0x1FABE, 0x1FAC6, 0x1FAC6, 0x1FADC, 0x1FADC, 0x1FADF, 0x1FADF, 0x1FAE9, 0x1FAE9, 0x1FBCB, 0x1FBEF,
    ];

    /// <summary>Unicode's White_Space property, the set llama.cpp's unicode_set_whitespace holds.</summary>
    public static bool IsWhiteSpaceProperty(int c) =>
        c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}
