namespace GgufPs.Tokenization;

/// <summary>The tokenizer algorithm named by tokenizer.ggml.model.</summary>
public enum TokenizerModel
{
    /// <summary>"no_vocab"/"none": the model has no vocabulary.</summary>
    None,

    /// <summary>"llama": SentencePiece BPE with byte fallback.</summary>
    SentencePiece,

    /// <summary>"gpt2": byte-level BPE from merges with a regex pre-tokenizer.</summary>
    BytePairEncoding,

    /// <summary>"bert": WordPiece, greedy longest-match over BERT-normalized words.</summary>
    WordPiece,
}
