namespace GgufPs.Oracle;

/// <summary>llama_model_tensor_override: a tensor-name regex and the ggml type to use; the array ends with a null pattern.</summary>
internal unsafe struct LlamaTensorTypeOverride
{
    public byte* Pattern;
    public int Type;
}
