namespace GgufPs.Quantization;

/// <summary>
/// A quantization worked out before any data is touched: each tensor's target type in llama-quantize's output
/// order, the output metadata, the predicted file size, and what deserves a warning.
/// </summary>
public sealed class QuantizationPlan
{
    internal QuantizationPlan(string inputPath, QuantizationPreset preset, LlamaFileType fileType, IReadOnlyList<TensorQuantizationPlan> tensors,
        IReadOnlyList<GgufMetadataEntry> metadata, IReadOnlyList<string> warnings, IReadOnlyList<string> notes)
    {
        InputPath = inputPath;
        Preset = preset;
        FileType = fileType;
        Tensors = tensors;
        Metadata = metadata;
        Warnings = warnings;
        Notes = notes;
        Descriptors = tensors.Select(t => new GgufTensorDescriptor(t.Name, t.TargetType, t.Shape)).ToArray();
        PredictedFileSize = GgufWriter.PredictSize(metadata, Descriptors);
    }

    public string InputPath { get; }

    public QuantizationPreset Preset { get; }

    /// <summary>The general.file_type written.</summary>
    public LlamaFileType FileType { get; }

    public IReadOnlyList<TensorQuantizationPlan> Tensors { get; }

    public IReadOnlyList<GgufMetadataEntry> Metadata { get; }

    /// <summary>Fallbacks, requantization and other things a user should hear about.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Detail worth a verbose message (tensors without importance data, overrides applied).</summary>
    public IReadOnlyList<string> Notes { get; }

    public long PredictedFileSize { get; }

    internal IReadOnlyList<GgufTensorDescriptor> Descriptors { get; }

    /// <summary>Source bytes of the tensors that are converted rather than copied, for progress.</summary>
    public long WorkBytes => Tensors.Sum(t => t.SourceBytes);
}
