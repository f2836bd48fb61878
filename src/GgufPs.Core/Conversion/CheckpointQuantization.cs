using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// Reads config.json's quantization_config the way llama.cpp's converter dequantizes checkpoints: which tensors are
/// scales for which weights (and so are not written themselves) and which are dropped.
/// </summary>
internal sealed class CheckpointQuantization
{
    private readonly Dictionary<string, WeightScale> _scales = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dropped = new(StringComparer.Ordinal);

    private CheckpointQuantization()
    {
    }

    public static CheckpointQuantization None { get; } = new();

    public static CheckpointQuantization From(HfConfig config, HfCheckpoint checkpoint)
    {
        if (config.Get("quantization_config") is not { ValueKind: JsonValueKind.Object } q)
        {
            return None;
        }
        string? method = q.TryGetProperty("quant_method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var result = new CheckpointQuantization();
        var byName = checkpoint.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        switch (method)
        {
            case null:
                return None;
            case "fp8":
                result.Collect(byName, "_scale_inv", ReadBlock(q, "weight_block_size"), [".activation_scale", "_activation_scale"]);
                break;
            case "compressed-tensors":
            {
                string format = q.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "";
                if (format is not ("float-quantized" or "int-quantized" or "naive-quantized"))
                {
                    throw new NotSupportedException($"The compressed-tensors format '{format}' in '{config.Path}' is not supported; " +
                        "Convert-Model dequantizes float-quantized, int-quantized and naive-quantized checkpoints.");
                }
                long[]? block = null;
                if (q.TryGetProperty("config_groups", out var groups) && groups.ValueKind == JsonValueKind.Object)
                {
                    var first = groups.EnumerateObject().FirstOrDefault();
                    if (first.Value.ValueKind == JsonValueKind.Object && first.Value.TryGetProperty("weights", out var weights) && weights.ValueKind == JsonValueKind.Object)
                    {
                        block = ReadBlock(weights, "block_structure");
                    }
                }
                result.Collect(byName, "_scale", block, []);
                break;
            }
            case "modelopt":
                result.Collect(byName, "_scale", null, [".input_scale", ".k_scale", ".v_scale"]);
                break;
            default:
                throw new NotSupportedException($"'{config.Path}' declares the quantization method '{method}', which Convert-Model cannot dequantize " +
                    "(fp8, compressed-tensors and modelopt can be).");
        }
        return result;
    }

    /// <summary>True for scale and activation tensors that are consumed or dropped rather than written.</summary>
    public bool IsDropped(string name) => _dropped.Contains(name);

    public WeightScale? ScaleOf(string weightName) => _scales.GetValueOrDefault(weightName);

    private void Collect(Dictionary<string, SafetensorsTensor> tensors, string scaleSuffix, long[]? block, string[] droppedSuffixes)
    {
        foreach (var (name, tensor) in tensors)
        {
            if (droppedSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal)))
            {
                _dropped.Add(name);
                continue;
            }
            if (!name.EndsWith(".weight" + scaleSuffix, StringComparison.Ordinal))
            {
                continue;
            }
            string weight = name[..^scaleSuffix.Length];
            if (!tensors.ContainsKey(weight))
            {
                continue;
            }
            _dropped.Add(name);
            _scales[weight] = new WeightScale(TensorSource.Mapped(tensor.File.Input, tensor.DataOffset, tensor.DataType, tensor.Shape), name, block);
        }
    }

    private static long[]? ReadBlock(JsonElement parent, string key)
    {
        if (!parent.TryGetProperty(key, out var b) || b.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var sizes = b.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v > 0 ? v : 0).ToArray();
        return sizes.Length == 0 || sizes.Contains(0) ? throw new InvalidDataException($"The quantization block size {b.GetRawText()} is not a list of positive integers.") : sizes;
    }
}
