namespace GgufPs.Tokenization;

/// <summary>Per-token attributes, the bits of llama.cpp's llama_token_attr.</summary>
[Flags]
public enum TokenAttributes
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
    Normalized = 1 << 6,
    LeftStrip = 1 << 7,
    RightStrip = 1 << 8,
    SingleWord = 1 << 9,
}
