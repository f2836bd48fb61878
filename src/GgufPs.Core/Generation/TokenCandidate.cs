using System.Runtime.InteropServices;

namespace GgufPs.Generation;

/// <summary>One token the sampler chain considers, as llama.cpp's llama_token_data: the id, its logit and its probability.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TokenCandidate
{
    public int Id;
    public float Logit;
    public float P;

    public TokenCandidate(int id, float logit, float p)
    {
        Id = id;
        Logit = logit;
        P = p;
    }
}
