using System.Text.RegularExpressions;

namespace GgufPs.Quantization;

/// <summary>
/// The default output name for a quantization: the input's name with its type part (f16, F32, bf16, or a
/// quantization type such as Q8_0) replaced by the new type, or with "-TYPE" added when it has none.
/// model-f16.gguf becomes model-Q4_K_M.gguf; stories260K.gguf becomes stories260K-Q4_K_M.gguf.
/// </summary>
public static class QuantizedFileNaming
{
    private static readonly Regex TypePart = new(
        @"(?<=^|[-._])(?:f16|f32|bf16|fp16|fp32|" + string.Join("|", QuantizationPreset.All.Select(p => Regex.Escape(p.Name))) + @")(?=$|[-._])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.RightToLeft);

    public static string DefaultOutputPath(string inputPath, string typeName)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(inputPath)) ?? ".";
        return Path.Combine(directory, DefaultOutputName(Path.GetFileName(inputPath), typeName));
    }

    /// <summary>
    /// Where Invoke-Quantize writes <paramref name="inputPath"/> quantized to <paramref name="typeName"/>: beside the
    /// input, or in <paramref name="outputPath"/> when it is a folder, or at <paramref name="outputPath"/> itself when
    /// only one type is made. A part of a split set is named after the set: model-F16-00002-of-00003.gguf stands for
    /// model-F16.gguf.
    /// </summary>
    public static string OutputPathFor(string inputPath, string typeName, string? outputPath, int typeCount)
    {
        string basis = GgufSplitNaming.TryParse(inputPath, out string prefix, out _, out _) ? prefix + ".gguf" : inputPath;
        if (outputPath is null)
        {
            return DefaultOutputPath(basis, typeName);
        }
        if (Directory.Exists(outputPath))
        {
            return Path.Combine(outputPath, DefaultOutputName(Path.GetFileName(basis), typeName));
        }
        return typeCount == 1 ? outputPath
            : throw new ArgumentException("With several types, -OutputPath must be an existing folder; each file is named after its type there.");
    }

    public static string DefaultOutputName(string inputName, string typeName)
    {
        string extension = Path.GetExtension(inputName);
        if (!string.Equals(extension, ".gguf", StringComparison.OrdinalIgnoreCase))
        {
            extension = ".gguf";
        }
        string stem = Path.GetExtension(inputName).Equals(".gguf", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFileNameWithoutExtension(inputName)
            : inputName;
        var match = TypePart.Match(stem);
        string renamed = match.Success
            ? stem[..match.Index] + typeName + stem[(match.Index + match.Length)..]
            : stem + "-" + typeName;
        return renamed + extension;
    }
}
