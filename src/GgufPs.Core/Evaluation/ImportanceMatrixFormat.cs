namespace GgufPs;

/// <summary>The file layouts of an importance matrix.</summary>
public enum ImportanceMatrixFormat
{
    /// <summary>GGUF with &lt;tensor&gt;.in_sum2 and &lt;tensor&gt;.counts tensors: llama-imatrix's default since 2025.</summary>
    Gguf,

    /// <summary>llama.cpp's legacy imatrix.dat: per tensor the mean squared activations times the call count.</summary>
    Dat,
}
