namespace GgufPs.Conversion;

/// <summary>
/// Everything a conversion will write, worked out before a byte is written: the tensors (source name, GGUF name,
/// shape, types), the metadata, the output path and its size. It holds the inputs open; dispose it when done.
/// </summary>
public sealed class ConversionPlan : IDisposable
{
    private readonly List<IDisposable> _resources;

    internal ConversionPlan(string inputPath, string outputPath, string architecture, ConversionOutputType outputType,
        IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<PlannedTensor> tensors, IReadOnlyList<string> warnings, List<IDisposable> resources)
    {
        InputPath = inputPath;
        OutputPath = outputPath;
        Architecture = architecture;
        OutputType = outputType;
        Metadata = metadata;
        Tensors = tensors;
        Warnings = warnings;
        _resources = resources;
        PredictedSize = GgufWriter.PredictSize(metadata, tensors.Select(t => t.Descriptor).ToList());
    }

    public string InputPath { get; }

    public string OutputPath { get; }

    /// <summary>general.architecture of the output (llama, qwen2, gpt2).</summary>
    public string Architecture { get; }

    /// <summary>The output type after Auto was resolved.</summary>
    public ConversionOutputType OutputType { get; }

    public IReadOnlyList<GgufMetadataEntry> Metadata { get; }

    public IReadOnlyList<PlannedTensor> Tensors { get; }

    /// <summary>What was noticed while planning (a vocabulary cut to vocab_size, a type fallback, ...).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The exact size of the file the plan writes.</summary>
    public long PredictedSize { get; }

    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    public void Dispose()
    {
        foreach (var r in _resources)
        {
            r.Dispose();
        }
        _resources.Clear();
    }
}
