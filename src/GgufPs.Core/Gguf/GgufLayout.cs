namespace GgufPs;

/// <summary>Layout constants and arithmetic shared by the reader and the writer.</summary>
internal static class GgufLayout
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    public const uint DefaultAlignment = 32;

    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    /// <summary>ggml's GGML_MAX_NAME: tensor names must be shorter than this for llama.cpp to load them.</summary>
    public const int MaxTensorNameBytes = 63;

    public const string AlignmentKey = "general.alignment";

    public static long Align(long offset, long alignment) => (offset + alignment - 1) / alignment * alignment;

    /// <summary>ggml_n_dims: the dimensions ggml writes for a shape, trailing 1s dropped but at least one.</summary>
    public static int GgmlDimensions(IReadOnlyList<long> shape)
    {
        for (int i = shape.Count - 1; i >= 1; i--)
        {
            if (shape[i] > 1)
            {
                return i + 1;
            }
        }
        return 1;
    }

    /// <summary>A shape as ggml's gguf writer stores it: <see cref="GgmlDimensions"/> dimensions, missing ones 1.</summary>
    public static long[] GgmlShape(IReadOnlyList<long> shape)
    {
        var result = new long[GgmlDimensions(shape)];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = i < shape.Count ? shape[i] : 1;
        }
        return result;
    }
}
