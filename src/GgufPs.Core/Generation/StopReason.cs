namespace GgufPs;

/// <summary>Why a generation ended.</summary>
public enum StopReason
{
    /// <summary>The model chose an end-of-generation token (EOS, EOT, EOM ..., llama_vocab_is_eog).</summary>
    EndOfGeneration,

    /// <summary>The requested number of tokens was generated.</summary>
    MaxTokens,

    /// <summary>The text reached one of the stop strings, which the text leaves out.</summary>
    Stop,

    /// <summary>Stopped by the caller (Ctrl+C); the result holds what was generated until then.</summary>
    Cancelled,

    /// <summary>The context is full: no further token can be evaluated (llama.cpp without context shift stops too).</summary>
    ContextFull,
}
