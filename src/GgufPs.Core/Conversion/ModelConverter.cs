namespace GgufPs.Conversion;

/// <summary>Chooses the converter for an input: a Hugging Face folder, or a llama2.c checkpoint (a .bin file, or a folder holding one).</summary>
public static class ModelConverter
{
    public static ConversionPlan Plan(string inputPath, ConversionOptions options, Action<string>? warn = null)
    {
        string path = Path.GetFullPath(inputPath);
        if (File.Exists(path))
        {
            if (Path.GetFileName(path) == "config.json")
            {
                return HfModelConverter.Plan(Path.GetDirectoryName(path)!, options, warn);
            }
            if (path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(path).StartsWith("pytorch_model", StringComparison.Ordinal))
            {
                return Llama2cConverter.Plan(path, options, warn);
            }
            throw new ArgumentException($"'{path}' is a file; give the model folder (with config.json) or a llama2.c checkpoint (.bin).");
        }
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"Cannot find the model folder or file '{path}'.");
        }
        if (!File.Exists(Path.Combine(path, "config.json")))
        {
            var checkpoints = Directory.EnumerateFiles(path, "*.bin")
                .Where(p => !Path.GetFileName(p).StartsWith("tok", StringComparison.Ordinal) && Llama2cConverter.LooksLikeCheckpoint(p))
                .ToList();
            if (checkpoints.Count == 1)
            {
                return Llama2cConverter.Plan(checkpoints[0], options, warn);
            }
        }
        return HfModelConverter.Plan(path, options, warn);
    }
}
