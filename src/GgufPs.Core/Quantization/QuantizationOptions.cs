namespace GgufPs.Quantization;

/// <summary>Everything llama-quantize's command line can say about one run, as one object.</summary>
public sealed class QuantizationOptions
{
    public required QuantizationPreset Preset { get; init; }

    /// <summary>--output-tensor-type: the type for output.weight (and tied token embeddings).</summary>
    public GgmlType? OutputTensorType { get; init; }

    /// <summary>--token-embedding-type: the type for token_embd.weight.</summary>
    public GgmlType? TokenEmbeddingType { get; init; }

    /// <summary>--tensor-type pattern=type pairs, tried in order; the first pattern found in a tensor's name wins.</summary>
    public IReadOnlyList<KeyValuePair<string, GgmlType>> TensorTypes { get; init; } = [];

    /// <summary>--pure: no mix; every quantizable tensor gets the preset's default type.</summary>
    public bool Pure { get; init; }

    /// <summary>--leave-output-tensor: output.weight is copied as it is.</summary>
    public bool LeaveOutputTensor { get; init; }

    /// <summary>--allow-requantize: quantized sources are dequantized and quantized again.</summary>
    public bool AllowRequantize { get; init; }

    /// <summary>--imatrix: importance weights per tensor.</summary>
    public ImportanceMatrix? ImportanceMatrix { get; init; }

    /// <summary>--include-weights: use the importance matrix only for tensors whose name contains one of these.</summary>
    public IReadOnlyList<string> IncludeWeights { get; init; } = [];

    /// <summary>--exclude-weights: ignore the importance matrix for tensors whose name contains one of these.</summary>
    public IReadOnlyList<string> ExcludeWeights { get; init; } = [];

    /// <summary>
    /// --override-kv: metadata to set in the output, after everything else. Values are written as llama.cpp writes
    /// overrides: integers as u32 (of their absolute value), floating point as f32, bool, and string.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object>> MetadataOverrides { get; init; } = [];

    /// <summary>
    /// --keep-split: tensors are taken part by part in file order, for an output split as the input is
    /// (<see cref="ModelQuantizer.RunKeepSplit"/>).
    /// </summary>
    public bool KeepSplit { get; init; }

    /// <summary>Worker threads; 0 means one per processor.</summary>
    public int Threads { get; init; }
}
