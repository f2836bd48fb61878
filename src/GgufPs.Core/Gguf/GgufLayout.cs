namespace GgufPs;

/// <summary>Layout constants and arithmetic shared by the reader and the writer.</summary>
public static class GgufLayout
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
}
