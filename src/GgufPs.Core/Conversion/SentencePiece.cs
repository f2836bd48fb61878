namespace GgufPs.Conversion;

/// <summary>One piece of a SentencePiece vocabulary.</summary>
internal readonly record struct SentencePiece(string Text, float Score, SentencePieceType Type);
