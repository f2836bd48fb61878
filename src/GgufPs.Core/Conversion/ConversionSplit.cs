using System.Globalization;

namespace GgufPs.Conversion;

/// <summary>
/// convert_hf_to_gguf's --split-max-tensors and --split-max-size, as gguf-py's GGUFWriter shards: a tensor starts a
/// new shard when the current one is not empty and already holds the maximum number of tensors, or when its bytes
/// (unpadded) would take the shard's tensor bytes past the maximum. Shards are named
/// <c>&lt;stem&gt;-%05d-of-%05d.gguf</c> beside the output; the first carries all the metadata, and every shard then gets
/// split.no, split.count and split.tensors.count. A plan that fits in one shard is written as one ordinary file.
/// </summary>
public static class ConversionSplit
{
    public static IReadOnlyList<ConversionSplitPart> Plan(ConversionPlan plan, int? maxTensors, long? maxBytes)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (maxTensors is < 0 || maxBytes is < 0)
        {
            throw new ArgumentException("The maximum tensors or bytes per shard cannot be negative.");
        }
        var shards = new List<List<PlannedTensor>> { new() };
        long shardBytes = 0;
        foreach (var tensor in plan.Tensors)
        {
            var current = shards[^1];
            if (current.Count > 0 &&
                ((maxTensors is > 0 && current.Count >= maxTensors) || (maxBytes is > 0 && shardBytes + tensor.ByteSize > maxBytes)))
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add(tensor);
            shardBytes += tensor.ByteSize;
        }
        if (shards.Count == 1)
        {
            return [new ConversionSplitPart(0, plan.OutputPath, plan.Metadata, plan.Tensors)];
        }
        if (shards.Count > ushort.MaxValue)
        {
            throw new ArgumentException($"The split would make {shards.Count} shards; split.count holds at most {ushort.MaxValue}.");
        }
        string full = Path.GetFullPath(plan.OutputPath);
        string stem = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full));
        var parts = new List<ConversionSplitPart>(shards.Count);
        for (int i = 0; i < shards.Count; i++)
        {
            var metadata = i == 0 ? plan.Metadata.Where(e => !GgufSplitKeys.IsSplitKey(e.Key)).ToList() : [];
            metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Number, GgufValueType.UInt16, i));
            metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Count, GgufValueType.UInt16, shards.Count));
            metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.TensorCount, GgufValueType.Int32, plan.Tensors.Count));
            parts.Add(new ConversionSplitPart(i, GgufSplitNaming.PartPath(stem, i, shards.Count), metadata, shards[i]));
        }
        return parts;
    }

    /// <summary>convert_hf_to_gguf's --split-max-size strings: bytes, or a whole number followed by K, M or G (powers of 1000).</summary>
    public static long ParseSize(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string s = text.Trim();
        long unit = s[^1] switch
        {
            'K' => 1000,
            'M' => 1_000_000,
            'G' => 1_000_000_000,
            _ => 1,
        };
        string digits = unit == 1 ? s : s[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
        {
            throw new ArgumentException($"'{text}' is not a size: give bytes, or a whole number followed by K, M or G, as convert_hf_to_gguf takes.");
        }
        return checked(n * unit);
    }
}
