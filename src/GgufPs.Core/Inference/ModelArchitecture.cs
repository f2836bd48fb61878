namespace GgufPs.Inference;

/// <summary>The transformer families this engine runs, by general.architecture.</summary>
internal enum ModelArchitecture
{
    /// <summary>"llama": Llama 1/2/3, Mistral, TinyLlama, SmolLM, stories: RMSNorm, RoPE, GQA, SwiGLU.</summary>
    Llama,

    /// <summary>"qwen2": as llama with q/k/v biases and NeoX-style RoPE.</summary>
    Qwen2,

    /// <summary>"gpt2": learned positions, LayerNorm with bias, fused QKV, GELU.</summary>
    Gpt2,
}
