namespace GgufPs.Conversion;

/// <summary>What Convert-Model was asked for.</summary>
public sealed class ConversionOptions
{
    public ConversionOptions()
    {
    }

    public ConversionOutputType OutputType { get; init; } = ConversionOutputType.F16;

    /// <summary>The output file; null for the default name beside the input. {ftype}/{FTYPE}/{outtype}/{OUTTYPE} are filled in.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Write only the metadata and vocabulary, no tensors.</summary>
    public bool VocabOnly { get; init; }

    /// <summary>Keys to set or replace after everything else (such as general.name).</summary>
    public IReadOnlyDictionary<string, object>? Metadata { get; init; }

    /// <summary>For llama.2c checkpoints: the tokenizer (tok*.bin); null to look beside the checkpoint.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>For llama.2c checkpoints: llama.context_length, which the checkpoint does not record.</summary>
    public int Llama2cContextLength { get; init; } = 2048;
}
