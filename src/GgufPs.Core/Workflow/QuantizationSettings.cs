using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>
/// Invoke-Quantize's choices that hold for every input and type (llama-quantize's options apart from the type and the
/// importance matrix), parsed once; <see cref="OptionsFor"/> makes each file's <see cref="QuantizationOptions"/>.
/// </summary>
public sealed record QuantizationSettings
{
    public GgmlType? OutputTensorType { get; init; }

    public GgmlType? TokenEmbeddingType { get; init; }

    public IReadOnlyList<KeyValuePair<string, GgmlType>> TensorTypes { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, object>> MetadataOverrides { get; init; } = [];

    public IReadOnlyList<string> IncludeWeights { get; init; } = [];

    public IReadOnlyList<string> ExcludeWeights { get; init; } = [];

    public bool Pure { get; init; }

    public bool LeaveOutputTensor { get; init; }

    public bool AllowRequantize { get; init; }

    public int Threads { get; init; }

    /// <summary>Whether -IncludeWeights or -ExcludeWeights was given, which needs an importance matrix.</summary>
    public bool ChoosesWeights => IncludeWeights.Count > 0 || ExcludeWeights.Count > 0;

    /// <summary>
    /// Parses the type names, the tensor-type patterns (<paramref name="tensorTypesInGivenOrder"/> when the caller's
    /// table keeps its order) and the metadata overrides, with errors that name the parameter.
    /// </summary>
    public static QuantizationSettings Parse(string? outputTensorType, string? tokenEmbeddingType,
        IReadOnlyList<KeyValuePair<string, object>> tensorTypes, bool tensorTypesInGivenOrder,
        IReadOnlyList<KeyValuePair<string, object>> metadataOverrides, IReadOnlyList<string> includeWeights, IReadOnlyList<string> excludeWeights)
    {
        if (includeWeights.Count > 0 && excludeWeights.Count > 0)
        {
            throw new ArgumentException("Use -IncludeWeights or -ExcludeWeights, not both.");
        }
        return new QuantizationSettings
        {
            OutputTensorType = outputTensorType is null ? null : QuantizationOverrides.ParseTensorType(outputTensorType, "-OutputTensorType"),
            TokenEmbeddingType = tokenEmbeddingType is null ? null : QuantizationOverrides.ParseTensorType(tokenEmbeddingType, "-TokenEmbeddingType"),
            TensorTypes = QuantizationOverrides.ParseTensorTypes(tensorTypes, tensorTypesInGivenOrder, "-TensorType"),
            MetadataOverrides = QuantizationOverrides.ParseMetadata(metadataOverrides, "-OverrideMetadata"),
            IncludeWeights = includeWeights,
            ExcludeWeights = excludeWeights,
        };
    }

    public QuantizationOptions OptionsFor(QuantizationPreset preset, ImportanceMatrix? importance, bool keepSplit) => new()
    {
        KeepSplit = keepSplit,
        Preset = preset,
        OutputTensorType = OutputTensorType,
        TokenEmbeddingType = TokenEmbeddingType,
        TensorTypes = TensorTypes,
        Pure = Pure,
        LeaveOutputTensor = LeaveOutputTensor,
        AllowRequantize = AllowRequantize,
        ImportanceMatrix = importance,
        IncludeWeights = IncludeWeights,
        ExcludeWeights = ExcludeWeights,
        MetadataOverrides = MetadataOverrides,
        Threads = Threads,
    };
}
