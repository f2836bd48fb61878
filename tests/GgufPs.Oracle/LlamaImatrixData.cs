namespace GgufPs.Oracle;

/// <summary>llama_model_imatrix_data: one tensor's importance weights; the array handed over ends with a null name.</summary>
internal unsafe struct LlamaImatrixData
{
    public byte* Name;
    public float* Data;
    public nuint Size;
}
