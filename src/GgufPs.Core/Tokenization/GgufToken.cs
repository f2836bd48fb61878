namespace GgufPs;

/// <summary>One token of a tokenized text, as Get-GgufToken returns it.</summary>
public sealed class GgufToken
{
    public GgufToken(int index, int id, string piece, string text)
    {
        Index = index;
        Id = id;
        Piece = piece;
        Text = text;
    }

    /// <summary>Position of the token in the text's token sequence, from 0.</summary>
    public int Index { get; }

    /// <summary>The token id in the model's vocabulary.</summary>
    public int Id { get; }

    /// <summary>The text the token stands for (llama_token_to_piece); a partial UTF-8 byte shows as U+FFFD.</summary>
    public string Piece { get; }

    /// <summary>The token as stored in the vocabulary (with SentencePiece's ▁ or GPT-2's byte characters).</summary>
    public string Text { get; }

    public override string ToString() => $"{Id} '{Piece}'";
}
