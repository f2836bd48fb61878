namespace GgufPs;

/// <summary>
/// What quantizing a particular model to a type would give, worked out from its tensor shapes without writing
/// anything: the file size and bits per weight, and how many tensors fall back to another type because their rows
/// do not fit the type's blocks.
/// </summary>
public sealed class QuantizationEstimate
{
    /// <summary>The quantization type.</summary>
    public required string Type { get; init; }

    /// <summary>The model it was worked out for.</summary>
    public required string Model { get; init; }

    /// <summary>The exact size of the file Invoke-Quantize would write, in bytes (0 when <see cref="Error"/> is set).</summary>
    public required long FileSize { get; init; }

    /// <summary>Tensor bits per parameter of that file.</summary>
    public required double BitsPerWeight { get; init; }

    /// <summary>Tensors the type's mix converts or wanted to convert.</summary>
    public required int QuantizedTensors { get; init; }

    /// <summary>Of those, the tensors that get another type because their rows do not fit the wanted type's blocks.</summary>
    public required int FallbackTensors { get; init; }

    /// <summary>Share of the quantized weights (by count) that fall back, in percent.</summary>
    public required double FallbackPercent { get; init; }

    /// <summary>True when most of the weights get the type the mix wants (under half of them fall back), and nothing stops it.</summary>
    public bool Fits => Error is null && FallbackPercent < 50;

    /// <summary>One line per kind of fallback, naming the tensors.</summary>
    public required IReadOnlyList<string> Fallbacks { get; init; }

    /// <summary>Why the type cannot be used on this model as things stand (it needs an importance matrix, ...), or null.</summary>
    public required string? Error { get; init; }

    public override string ToString() => $"{Type}: {FileSize} bytes, {FallbackTensors} fallback tensors";
}
