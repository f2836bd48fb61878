using GgufPs.Quantization;

namespace GgufPs;

/// <summary>
/// One quantization type llama-quantize accepts, as Get-GgufQuantizationType lists it and Tab completion shows it:
/// the preset (name, file type, main tensor type) with its block layout, llama.cpp's own note on size and quality,
/// what it is for, and whether it needs an importance matrix.
/// </summary>
public sealed class QuantizationType
{
    internal QuantizationType(QuantizationPreset preset, string layout, string useCase, bool requiresImportanceMatrix)
    {
        Preset = preset;
        var info = GgmlTypeInfo.Get(preset.DefaultType);
        BlockSize = info.BlockSize;
        BlockBytes = info.TypeSize;
        Layout = layout;
        UseCase = useCase;
        RequiresImportanceMatrix = requiresImportanceMatrix;
    }

    internal QuantizationPreset Preset { get; }

    /// <summary>The name llama-quantize and Invoke-Quantize -Type take (Q4_K_M).</summary>
    public string Name => Preset.Name;

    /// <summary>The preset this name stands for (Q4_K is Q4_K_M), or null.</summary>
    public string? AliasOf => Preset.AliasOf;

    /// <summary>What general.file_type records for a model quantized to this type.</summary>
    public LlamaFileType FileType => Preset.FileType;

    /// <summary>The tensor type most weights get; the mix gives some tensors more bits.</summary>
    public GgmlType TensorType => Preset.DefaultType;

    /// <summary>Bits per weight of <see cref="TensorType"/>; a whole file comes out a little higher.</summary>
    public double BitsPerWeight => Preset.BitsPerWeight;

    /// <summary>Weights per block of <see cref="TensorType"/>: a row's length must be a multiple of it.</summary>
    public int BlockSize { get; }

    /// <summary>Bytes per block of <see cref="TensorType"/>.</summary>
    public int BlockBytes { get; }

    /// <summary>How a block stores its weights.</summary>
    public string Layout { get; }

    /// <summary>llama-quantize's description: file size and perplexity increase on a reference model.</summary>
    public string Description => Preset.Description;

    /// <summary>What the type is good for, after the usual quantization guides.</summary>
    public string UseCase { get; }

    /// <summary>True when llama.cpp refuses the type without an importance matrix.</summary>
    public bool RequiresImportanceMatrix { get; }

    /// <summary>True for COPY, which copies every tensor unchanged.</summary>
    public bool IsCopy => Preset.IsCopy;

    public override string ToString() => Name;
}
