namespace GgufPs;

/// <summary>llama-gguf-split --split's options: a limit by size or by tensor count, and an optional tensor-free first part.</summary>
public sealed class GgufSplitOptions
{
    /// <summary>--split-max-size in bytes: a part's tensor data, each tensor padded to 32 bytes, stays within it.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>--split-max-tensors: tensors per part.</summary>
    public int? MaxTensors { get; init; }

    /// <summary>--no-tensor-first-split: the first part holds only the metadata.</summary>
    public bool NoTensorFirstSplit { get; init; }

    /// <summary>
    /// llama-gguf-split's size strings: a whole number followed by M (10^6 bytes) or G (10^9 bytes), as in '2M' or
    /// '4G'; plain digits are taken as bytes.
    /// </summary>
    public static long ParseSize(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string s = text.Trim();
        long unit = char.ToUpperInvariant(s[^1]) switch
        {
            'M' => 1_000_000,
            'G' => 1_000_000_000,
            _ => 1,
        };
        string digits = unit == 1 ? s : s[..^1];
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) || n <= 0)
        {
            throw new ArgumentException($"'{text}' is not a size: give bytes, or a positive whole number followed by M (megabytes) or G (gigabytes), as llama-gguf-split takes.");
        }
        return checked(n * unit);
    }
}
