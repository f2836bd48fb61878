namespace GgufPs.Quantization;

/// <summary>
/// Works out a <see cref="QuantizationPlan"/> as llama_model_quantize would, and refuses up front what it would
/// refuse part-way through: requantizing without permission, types that need an importance matrix without one,
/// an importance matrix whose sizes do not match.
/// </summary>
public static class QuantizationPlanner
{
    private static readonly string[] SplitKeys = ["split.no", "split.count", "split.tensors.count"];

    public static QuantizationPlan Create(GgufFile input, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var preset = options.Preset;
        var warnings = new List<string>();
        var notes = new List<string>();

        // llama-quantize walks its weights by name, or with --keep-split by part and then offset; the mix's
        // "more bits" counters advance in that order.
        var ordered = options.KeepSplit
            ? input.Tensors.OrderBy(t => t.SplitIndex).ThenBy(t => t.FileOffset).ToList()
            : input.Tensors.OrderBy(t => t.Name, LlamaTensorOrder.Instance).ToList();
        var fileType = preset.IsCopy ? InputFileType(input, ordered) : preset.FileType;

        ImportanceMatrix? importance = null;
        if (options.ImportanceMatrix is { } matrix)
        {
            importance = matrix.Filter(options.IncludeWeights, options.ExcludeWeights);
            if (importance.Count == 0)
            {
                warnings.Add($"No entry of importance matrix '{matrix.Path}' is left after the include/exclude filters; quantizing without it.");
                importance = null;
            }
        }
        else if (options.IncludeWeights.Count > 0 || options.ExcludeWeights.Count > 0)
        {
            throw new ArgumentException("IncludeWeights and ExcludeWeights filter an importance matrix; give one with ImportanceMatrix.");
        }

        var model = ModelHyperparameters.From(input.Metadata);
        var policy = new TensorTypePolicy(model, preset.FileType, preset.DefaultType, options, ordered.Select(t => t.Name).ToList(), importance is not null);

        var tensors = new List<TensorQuantizationPlan>(ordered.Count);
        var refusedRequantize = new List<string>();
        var missingImportance = new List<string>();
        foreach (var tensor in ordered)
        {
            if (!GgmlTypeInfo.Get(tensor.Type).IsKnown)
            {
                throw new NotSupportedException($"Tensor '{tensor.Name}' has type {tensor.TypeName}, which this build cannot read.");
            }
            var decision = policy.Decide(tensor.Name, tensor.Type, tensor.Shape);
            var target = decision.Type;
            if (decision.Requested is { } requested)
            {
                string consequence = decision.LlamaCppFails ? " (llama.cpp stops with an error here)" : "";
                warnings.Add($"Tensor '{tensor.Name}': {requested} does not fit ({decision.Fallback}); using {target} instead{consequence}.");
            }
            bool converted = target != tensor.Type;
            float[]? weights = null;
            if (converted)
            {
                if (TensorTypePolicy.IsBlockQuantized(tensor.Type))
                {
                    if (!options.AllowRequantize)
                    {
                        refusedRequantize.Add($"{tensor.Name} ({tensor.TypeName})");
                    }
                    else if (!BlockFormats.TryGet(tensor.Type, out _))
                    {
                        throw new NotSupportedException($"Tensor '{tensor.Name}' is {tensor.TypeName}, which this build cannot dequantize.");
                    }
                }
                if (!BlockFormats.TryGet(target, out var format) || !format.IsTensorFormat)
                {
                    throw new NotSupportedException($"Tensor '{tensor.Name}' would be quantized to {GgmlTypeInfo.Get(target).Name}, which this build cannot write yet.");
                }
                weights = ImportanceFor(tensor, importance, notes);
                if (weights is null && RequiresImportance(tensor.Name, target, fileType, format))
                {
                    missingImportance.Add($"{tensor.Name} ({GgmlTypeInfo.Get(target).Name})");
                }
            }
            long[] shape = tensor.Shape.Take(TensorTypePolicy.GgmlDimensions(tensor.Shape)).ToArray();
            tensors.Add(new TensorQuantizationPlan(tensor, shape, target, decision.Requested, decision.Fallback, weights));
        }
        if (refusedRequantize.Count > 0)
        {
            throw new InvalidOperationException(
                $"The model is already quantized; requantizing it loses quality and needs AllowRequantize. Quantized tensors: {string.Join(", ", refusedRequantize.Take(5))}{(refusedRequantize.Count > 5 ? ", ..." : "")}.");
        }
        if (missingImportance.Count > 0)
        {
            string source = importance is null ? "no importance matrix was given" : $"importance matrix '{importance.Path}' has no entry for them";
            throw new InvalidOperationException(
                $"These tensors need an importance matrix, but {source}: {string.Join(", ", missingImportance)}.");
        }
        if (options.AllowRequantize && tensors.Any(t => !t.IsCopied && TensorTypePolicy.IsBlockQuantized(t.SourceType)))
        {
            warnings.Add("Requantizing already-quantized tensors: the result is worse than quantizing from the 16- or 32-bit model.");
        }

        var metadata = OutputMetadata(input, fileType, importance, options.MetadataOverrides);
        return new QuantizationPlan(input.Path, preset, fileType, tensors, metadata, warnings, notes);
    }

    // tensor_requires_imatrix, plus ggml's own refusal for the types it cannot quantize without weights.
    private static bool RequiresImportance(string name, GgmlType target, LlamaFileType fileType, BlockFormat format)
    {
        if (format.RequiresImportance)
        {
            return true;
        }
        if (name is "token_embd.weight" or "per_layer_token_embd.weight" or "output.weight")
        {
            return false;
        }
        return target switch
        {
            GgmlType.IQ3_XXS or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ1_M or GgmlType.IQ1_S => true,
            GgmlType.Q2_K => fileType == LlamaFileType.MOSTLY_Q2_K_S,
            _ => false,
        };
    }

    private static float[]? ImportanceFor(GgufTensorInfo tensor, ImportanceMatrix? importance, List<string> notes)
    {
        if (importance is null)
        {
            return null;
        }
        if (!importance.TryGetWeights(tensor.Name, out var weights))
        {
            notes.Add($"No importance data for tensor '{tensor.Name}'.");
            return null;
        }
        long expected = tensor.Shape[0] * (tensor.Shape.Length > 2 ? tensor.Shape[2] : 1);
        if (weights.Length != expected)
        {
            // llama.cpp tolerates a mismatch only for the token embeddings, which importance matrices rarely cover right.
            if (tensor.Name is "token_embd.weight" or "per_layer_token_embd.weight")
            {
                notes.Add($"Importance data for '{tensor.Name}' has {weights.Length} values, not {expected}; ignored.");
                return null;
            }
            throw new InvalidDataException($"Importance matrix '{importance.Path}' has {weights.Length} values for tensor '{tensor.Name}', which needs {expected}.");
        }
        return weights;
    }

    private static List<GgufMetadataEntry> OutputMetadata(GgufFile input, LlamaFileType fileType, ImportanceMatrix? importance,
        IReadOnlyList<KeyValuePair<string, object>> overrides)
    {
        var metadata = input.Metadata.Where(e => !SplitKeys.Contains(e.Key)).ToList();
        Set(metadata, GgufMetadataEntry.Create("general.quantization_version", GgufValueType.UInt32, 2u));
        Set(metadata, GgufMetadataEntry.Create("general.file_type", GgufValueType.UInt32, (uint)fileType));
        foreach (var (key, value) in overrides)
        {
            Set(metadata, OverrideEntry(key, value));
        }
        if (importance is not null)
        {
            // llama-quantize passes these as overrides, which are truncated to 127 bytes.
            Set(metadata, GgufMetadataEntry.Create("quantize.imatrix.file", Truncate(importance.Path)));
            if (importance.Datasets.Count > 0)
            {
                Set(metadata, GgufMetadataEntry.Create("quantize.imatrix.dataset", Truncate(importance.Datasets[0])));
            }
            Set(metadata, GgufMetadataEntry.Create("quantize.imatrix.entries_count", GgufValueType.UInt32, (uint)importance.Count));
            if (importance.ChunkCount > 0)
            {
                Set(metadata, GgufMetadataEntry.Create("quantize.imatrix.chunks_count", GgufValueType.UInt32, (uint)importance.ChunkCount));
            }
        }
        return metadata;
    }

    // gguf_set_val_*: an existing key is removed and the new value goes to the end.
    private static void Set(List<GgufMetadataEntry> metadata, GgufMetadataEntry entry)
    {
        metadata.RemoveAll(e => e.Key == entry.Key);
        metadata.Add(entry);
    }

    /// <summary>A metadata override as llama_model_quantize writes it: integers as u32 of their absolute value, reals as f32.</summary>
    private static GgufMetadataEntry OverrideEntry(string key, object value)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ArgumentException("A metadata override needs a key.");
        }
        return value switch
        {
            string s => GgufMetadataEntry.Create(key, s),
            bool b => GgufMetadataEntry.Create(key, GgufValueType.Bool, b),
            float or double or decimal => GgufMetadataEntry.Create(key, GgufValueType.Float32, (float)Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
            sbyte or byte or short or ushort or int or uint or long => GgufMetadataEntry.Create(key, GgufValueType.UInt32, unchecked((uint)AbsoluteValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)))),
            ulong u => GgufMetadataEntry.Create(key, GgufValueType.UInt32, unchecked((uint)u)),
            _ => throw new ArgumentException($"Metadata override '{key}' has a value of type {value.GetType().Name}; use a string, a bool, an integer or a number."),
        };
    }

    private static long AbsoluteValue(long value) => value == long.MinValue ? value : Math.Abs(value);

    private static string Truncate(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        if (bytes.Length <= 127)
        {
            return value;
        }
        int end = 127;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80)
        {
            end--;
        }
        return System.Text.Encoding.UTF8.GetString(bytes, 0, end);
    }

    /// <summary>llama_model_loader's ftype: general.file_type when present, else guessed from the commonest tensor type.</summary>
    private static LlamaFileType InputFileType(GgufFile input, IReadOnlyList<GgufTensorInfo> ordered)
    {
        if (input.Metadata.GetInteger("general.file_type") is { } stored)
        {
            return (LlamaFileType)(int)stored;
        }
        var counts = new Dictionary<GgmlType, int>();
        int best = 0;
        var commonest = GgmlType.F32;
        foreach (var t in ordered)
        {
            counts[t.Type] = counts.GetValueOrDefault(t.Type) + 1;
            if (best < counts[t.Type])
            {
                best = counts[t.Type];
                commonest = t.Type;
            }
        }
        var guess = commonest switch
        {
            GgmlType.F16 => LlamaFileType.MOSTLY_F16,
            GgmlType.BF16 => LlamaFileType.MOSTLY_BF16,
            GgmlType.Q4_0 => LlamaFileType.MOSTLY_Q4_0,
            GgmlType.Q4_1 => LlamaFileType.MOSTLY_Q4_1,
            GgmlType.Q5_0 => LlamaFileType.MOSTLY_Q5_0,
            GgmlType.Q5_1 => LlamaFileType.MOSTLY_Q5_1,
            GgmlType.Q8_0 => LlamaFileType.MOSTLY_Q8_0,
            GgmlType.Q2_K => LlamaFileType.MOSTLY_Q2_K,
            GgmlType.Q3_K => LlamaFileType.MOSTLY_Q3_K_M,
            GgmlType.Q4_K => LlamaFileType.MOSTLY_Q4_K_M,
            GgmlType.Q5_K => LlamaFileType.MOSTLY_Q5_K_M,
            GgmlType.Q6_K => LlamaFileType.MOSTLY_Q6_K,
            GgmlType.TQ1_0 => LlamaFileType.MOSTLY_TQ1_0,
            GgmlType.TQ2_0 => LlamaFileType.MOSTLY_TQ2_0,
            GgmlType.IQ2_XXS => LlamaFileType.MOSTLY_IQ2_XXS,
            GgmlType.IQ2_XS => LlamaFileType.MOSTLY_IQ2_XS,
            GgmlType.IQ2_S => LlamaFileType.MOSTLY_IQ2_S,
            GgmlType.IQ3_XXS => LlamaFileType.MOSTLY_IQ3_XXS,
            GgmlType.IQ1_S => LlamaFileType.MOSTLY_IQ1_S,
            GgmlType.IQ1_M => LlamaFileType.MOSTLY_IQ1_M,
            GgmlType.IQ4_NL => LlamaFileType.MOSTLY_IQ4_NL,
            GgmlType.IQ4_XS => LlamaFileType.MOSTLY_IQ4_XS,
            GgmlType.IQ3_S => LlamaFileType.MOSTLY_IQ3_S,
            GgmlType.MXFP4 => LlamaFileType.MOSTLY_MXFP4_MOE,
            _ => LlamaFileType.ALL_F32,
        };
        return guess | LlamaFileType.GUESSED;
    }
}
