namespace GgufPs.Conversion;

/// <summary>Plans the conversion of a Hugging Face model folder to GGUF, as convert_hf_to_gguf.py would write it.</summary>
internal static class HfModelConverter
{
    /// <summary>gguf-py's GGML_QUANT_VERSION.</summary>
    public const int QuantizationVersion = 2;

    public static ConversionPlan Plan(string folder, ConversionOptions options, Action<string>? warn = null)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot find the model folder '{folder}'.");
        }
        var warnings = new List<string>();
        void Warn(string message)
        {
            warnings.Add(message);
            warn?.Invoke(message);
        }
        var config = HfConfig.Load(Path.Combine(folder, "config.json"));
        var architecture = HfArchitectures.Find(config.RequireArchitecture());
        architecture.Validate(config);
        var resources = new List<IDisposable>();
        try
        {
            HfCheckpoint? checkpoint = null;
            if (!options.VocabOnly || options.OutputType == ConversionOutputType.Auto)
            {
                checkpoint = HfCheckpoint.Open(folder);
                resources.Add(checkpoint);
            }
            var outputType = ResolveOutputType(options.OutputType, checkpoint);
            var tensors = options.VocabOnly ? [] : PlanTensors(architecture, config, checkpoint!, outputType, Warn);

            var metadata = new GgufMetadataBuilder();
            metadata.String("general.architecture", architecture.GgufName);
            if (!options.VocabOnly)
            {
                architecture.WriteEarlyParameters(metadata, config);
            }
            metadata.String("general.type", "model");
            GeneralMetadataWriter.Write(metadata, folder, tensors.Sum(t => t.ElementCount));
            architecture.WriteParameters(metadata, config, FileType(outputType));
            metadata.UInt32("general.quantization_version", QuantizationVersion);
            architecture.WriteVocabulary(folder, config, metadata, Warn);
            ApplyOverrides(metadata, options.Metadata);

            string output = OutputPath(options, folder, new DirectoryInfo(folder).Name, outputType, metadata);
            return new ConversionPlan(folder, output, architecture.GgufName, outputType, metadata.ToList(), tensors, warnings, resources);
        }
        catch
        {
            foreach (var r in resources)
            {
                r.Dispose();
            }
            throw;
        }
    }

    public static LlamaFileType FileType(ConversionOutputType type) => type switch
    {
        ConversionOutputType.F32 => LlamaFileType.ALL_F32,
        ConversionOutputType.F16 => LlamaFileType.MOSTLY_F16,
        ConversionOutputType.BF16 => LlamaFileType.MOSTLY_BF16,
        ConversionOutputType.Q8_0 => LlamaFileType.MOSTLY_Q8_0,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Auto must be resolved first."),
    };

    /// <summary>The tensor type llama.cpp's converter gives a tensor: 1-D tensors, norms and biases stay F32.</summary>
    public static GgmlType TargetType(HfArchitecture? architecture, string name, int dimensions, long rowLength, ConversionOutputType outputType, Action<string> warn)
    {
        if (dimensions <= 1 || name.EndsWith("_norm.weight", StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal)
            || (architecture?.KeepsF32(name) ?? false))
        {
            return GgmlType.F32;
        }
        switch (outputType)
        {
            case ConversionOutputType.F32:
                return GgmlType.F32;
            case ConversionOutputType.BF16:
                return GgmlType.BF16;
            case ConversionOutputType.Q8_0:
                if (rowLength % GgmlTypeInfo.Get(GgmlType.Q8_0).BlockSize != 0)
                {
                    warn($"{name}: rows of {rowLength} are not a multiple of Q8_0's block of 32, falling back to F16.");
                    return GgmlType.F16;
                }
                return GgmlType.Q8_0;
            default:
                return GgmlType.F16;
        }
    }

    /// <summary>
    /// Where the output goes: &lt;stem&gt;-&lt;type&gt;.gguf beside the input by default; inside a folder given as
    /// -OutputPath, the name convert_hf_to_gguf.py gives (Basename-SizeLabel-Finetune-Version-TYPE.gguf); a file
    /// name with {ftype} and the like filled in.
    /// </summary>
    internal static string OutputPath(ConversionOptions options, string inputPath, string stem, ConversionOutputType outputType, GgufMetadataBuilder metadata)
    {
        string typeName = outputType.ToString();
        if (options.OutputPath is null)
        {
            string defaultName = options.VocabOnly ? $"{stem}-vocab.gguf" : $"{stem}-{typeName}.gguf";
            return Path.Combine(Path.GetDirectoryName(inputPath.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))!, defaultName);
        }
        string path = Path.GetFullPath(options.OutputPath);
        if (Directory.Exists(path))
        {
            string? Get(string key) => metadata.Find(key)?.Value as string;
            string name = ModelNaming.FileNameStem(Get("general.name"), Get("general.basename"), Get("general.finetune"), Get("general.version"),
                options.VocabOnly ? null : Get("general.size_label"), options.VocabOnly ? null : typeName);
            return Path.Combine(path, (options.VocabOnly ? name + "-vocab" : name) + ".gguf");
        }
        return Path.Combine(Path.GetDirectoryName(path)!, ModelNaming.FillTemplate(Path.GetFileName(path), typeName));
    }

    internal static void ApplyOverrides(GgufMetadataBuilder metadata, IReadOnlyDictionary<string, object>? overrides)
    {
        if (overrides is null)
        {
            return;
        }
        foreach (var (key, value) in overrides)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("A metadata key is empty.");
            }
            var existing = metadata.Find(key);
            if (existing is not null && existing.ValueType != GgufValueType.Array && value is not Array)
            {
                try
                {
                    metadata.Set(GgufMetadataEntry.Create(key, existing.ValueType, value));
                }
                catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
                {
                    throw new ArgumentException($"The metadata value '{value}' for '{key}' cannot be stored as {existing.ValueType}.", ex);
                }
                continue;
            }
            metadata.Set(GgufMetadataEntry.Create(key, value is double d ? (float)d : value));
        }
    }

    private static ConversionOutputType ResolveOutputType(ConversionOutputType requested, HfCheckpoint? checkpoint)
    {
        if (requested != ConversionOutputType.Auto)
        {
            return requested;
        }
        var first = checkpoint?.Tensors.FirstOrDefault(t => t.Shape.Length >= 2);
        return first?.DataType switch
        {
            SafetensorsDataType.BF16 => ConversionOutputType.BF16,
            SafetensorsDataType.F16 => ConversionOutputType.F16,
            SafetensorsDataType.F32 or SafetensorsDataType.F64 => ConversionOutputType.F32,
            _ => ConversionOutputType.F16,
        };
    }

    private static List<PlannedTensor> PlanTensors(HfArchitecture architecture, HfConfig config, HfCheckpoint checkpoint,
        ConversionOutputType outputType, Action<string> warn)
    {
        var tensors = new List<PlannedTensor>();
        foreach (var (name, values) in architecture.ExtraTensors(config))
        {
            tensors.Add(new PlannedTensor(name, name, TensorSource.Computed(values), GgmlType.F32));
        }
        var quantization = CheckpointQuantization.From(config, checkpoint);
        foreach (var tensor in checkpoint.Tensors)
        {
            if (quantization.IsDropped(tensor.Name))
            {
                continue;
            }
            if (tensor.Name.EndsWith(".attention.masked_bias", StringComparison.Ordinal) || tensor.Name.EndsWith(".attention.bias", StringComparison.Ordinal)
                || tensor.Name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
            {
                continue;
            }
            if (architecture.MapTensor(tensor.Name, tensor.Shape, config) is not { } mapped)
            {
                continue;
            }
            if (!SourceElementDecoder.IsSupported(tensor.DataType))
            {
                throw new NotSupportedException($"Tensor '{tensor.Name}' in '{tensor.File.Path}' is {tensor.DataType}; only floating-point weights can be converted.");
            }
            var source = TensorSource.Mapped(tensor.File.Input, tensor.DataOffset, tensor.DataType, tensor.Shape);
            long rowLength = mapped.Transform == TensorTransform.Transpose ? tensor.Shape[0] : tensor.Shape.Length == 0 ? 1 : tensor.Shape[^1];
            var type = TargetType(architecture, mapped.Name, tensor.Shape.Length, rowLength, outputType, warn);
            var scale = quantization.ScaleOf(tensor.Name);
            if (scale is not null && (tensor.Shape.Length != 2 || mapped.Transform == TensorTransform.Transpose))
            {
                throw new NotSupportedException($"Tensor '{tensor.Name}' has a quantization scale but is not a 2-D weight; it cannot be dequantized.");
            }
            tensors.Add(new PlannedTensor(tensor.Name, mapped.Name, source, type, mapped.Transform, mapped.RopeHeads, scale));
        }
        var duplicate = tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ModelFormatException(checkpoint.Files[0].Path, $"several tensors map to '{duplicate.Key}': {string.Join(", ", duplicate.Select(t => t.SourceName))}");
        }
        return tensors;
    }
}
