namespace GgufPs.Conversion;

/// <summary>How a source tensor's values are rearranged or adjusted on the way into the GGUF.</summary>
public enum TensorTransform
{
    None,
    /// <summary>llama's Q/K row permutation: Hugging Face's rotate-half RoPE layout back to ggml's interleaved pairs.</summary>
    RopePermute,
    /// <summary>A 2-D transpose (GPT-2's Conv1D stores weights as [in, out]).</summary>
    Transpose,
    /// <summary>Adds 1 to every value: Gemma's RMSNorm multiplies by (1 + weight), llama.cpp's by the stored weight.</summary>
    AddOne,
}
