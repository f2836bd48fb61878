namespace GgufPs.Oracle;

/// <summary>llama_token_data_array: a pointer to {id, logit, p} records, their count, the selected index and the sorted flag.</summary>
internal unsafe struct LlamaTokenDataArray
{
    public GgufPs.Generation.TokenCandidate* Data;
    public nuint Size;
    public long Selected;
    public byte Sorted;
}
