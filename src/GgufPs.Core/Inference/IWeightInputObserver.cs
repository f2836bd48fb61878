namespace GgufPs.Inference;

/// <summary>
/// Sees the input of every product of a weight matrix with a batch of activations, before the activations are
/// rounded for the weight's type: what llama-imatrix reads from llama.cpp's eval callback at each MUL_MAT.
/// </summary>
internal interface IWeightInputObserver
{
    /// <summary>
    /// Called on the evaluating thread with the weight tensor's GGUF name and <paramref name="rows"/> activation rows
    /// of input.Length / rows columns each, row-major. The span is valid only during the call.
    /// </summary>
    void Observe(string weightName, ReadOnlySpan<float> input, int rows);
}
