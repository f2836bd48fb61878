namespace GgufPs.Conversion;

/// <summary>A model input (safetensors file, config, tokenizer, checkpoint) that is malformed or inconsistent.</summary>
public sealed class ModelFormatException : IOException
{
    public ModelFormatException(string path, string problem)
        : base($"'{path}' is not a valid model file: {problem}.")
    {
        FilePath = path;
        Problem = problem;
    }

    public ModelFormatException(string path, string problem, Exception inner)
        : base($"'{path}' is not a valid model file: {problem}.", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
