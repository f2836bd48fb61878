namespace GgufPs.Conversion;

/// <summary>sentencepiece's ModelProto.SentencePiece.Type; the values equal llama.cpp's token types.</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
