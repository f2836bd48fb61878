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
        if ((uint)codepoint > 0x10FFFF)
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

    /// <summary>Unicode's White_Space property, the set llama.cpp's unicode_set_whitespace holds.</summary>
    public static bool IsWhiteSpaceProperty(int c) =>
        c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}
