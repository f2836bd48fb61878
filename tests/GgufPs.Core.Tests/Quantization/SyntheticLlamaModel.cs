using System.Runtime.InteropServices;
using GgufPs.Quantization;

namespace GgufPs.Tests.Quantization;

/// <summary>
/// Writes a small llama-architecture GGUF with deterministic pseudo-random weights, so quantization can be compared
/// with llama.cpp on shapes chosen by the test (GQA, widths that force fallbacks, tied or untied output).
/// </summary>
internal sealed class SyntheticLlamaModel
{
    /// <summary>general.architecture and the prefix of the model keys; the tensors are llama's whatever it says.</summary>
    public string Architecture { get; init; } = "llama";

    public int Embedding { get; init; } = 256;
    public int FeedForward { get; init; } = 512;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 8;
    public int KvHeads { get; init; } = 2;
    public int Vocabulary { get; init; } = 512;
    public bool TiedOutput { get; init; }
    public GgmlType WeightType { get; init; } = GgmlType.F16;
    public int Seed { get; init; } = 1;

    /// <summary>Experts per layer; above 0 the feed-forward weights are 3-D expert tensors with a router.</summary>
    public int Experts { get; init; }

    /// <summary>Extra metadata written after the architecture keys.</summary>
    public IReadOnlyList<GgufMetadataEntry> ExtraMetadata { get; init; } = [];

    public IEnumerable<(string Name, long[] Shape, bool IsNorm)> Tensors()
    {
        int headDim = Embedding / Heads;
        int kv = headDim * KvHeads;
        yield return ("token_embd.weight", [Embedding, Vocabulary], false);
        for (int i = 0; i < Layers; i++)
        {
            yield return ($"blk.{i}.attn_norm.weight", [Embedding], true);
            yield return ($"blk.{i}.attn_q.weight", [Embedding, Embedding], false);
            yield return ($"blk.{i}.attn_k.weight", [Embedding, kv], false);
            yield return ($"blk.{i}.attn_v.weight", [Embedding, kv], false);
            yield return ($"blk.{i}.attn_output.weight", [Embedding, Embedding], false);
            yield return ($"blk.{i}.ffn_norm.weight", [Embedding], true);
            if (Experts > 0)
            {
                yield return ($"blk.{i}.ffn_gate_inp.weight", [Embedding, Experts], false);
                yield return ($"blk.{i}.ffn_gate_exps.weight", [Embedding, FeedForward, Experts], false);
                yield return ($"blk.{i}.ffn_up_exps.weight", [Embedding, FeedForward, Experts], false);
                yield return ($"blk.{i}.ffn_down_exps.weight", [FeedForward, Embedding, Experts], false);
                continue;
            }
            yield return ($"blk.{i}.ffn_gate.weight", [Embedding, FeedForward], false);
            yield return ($"blk.{i}.ffn_up.weight", [Embedding, FeedForward], false);
            yield return ($"blk.{i}.ffn_down.weight", [FeedForward, Embedding], false);
        }
        yield return ("output_norm.weight", [Embedding], true);
        if (!TiedOutput)
        {
            yield return ("output.weight", [Embedding, Vocabulary], false);
        }
    }

    public string Write(string path)
    {
        var metadata = new List<GgufMetadataEntry>
        {
            GgufMetadataEntry.Create("general.architecture", Architecture),
            GgufMetadataEntry.Create("general.name", "synthetic"),
            GgufMetadataEntry.Create($"{Architecture}.context_length", GgufValueType.UInt32, 512),
            GgufMetadataEntry.Create($"{Architecture}.embedding_length", GgufValueType.UInt32, Embedding),
            GgufMetadataEntry.Create($"{Architecture}.block_count", GgufValueType.UInt32, Layers),
            GgufMetadataEntry.Create($"{Architecture}.feed_forward_length", GgufValueType.UInt32, FeedForward),
            GgufMetadataEntry.Create($"{Architecture}.rope.dimension_count", GgufValueType.UInt32, Embedding / Heads),
            GgufMetadataEntry.Create($"{Architecture}.attention.head_count", GgufValueType.UInt32, Heads),
            GgufMetadataEntry.Create($"{Architecture}.attention.head_count_kv", GgufValueType.UInt32, KvHeads),
            GgufMetadataEntry.Create($"{Architecture}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-5f),
            GgufMetadataEntry.Create("general.file_type", GgufValueType.UInt32, WeightType == GgmlType.F32 ? 0 : (int)LlamaFileType.MOSTLY_F16),
        };
        if (Experts > 0)
        {
            metadata.Add(GgufMetadataEntry.Create($"{Architecture}.expert_count", GgufValueType.UInt32, Experts));
            metadata.Add(GgufMetadataEntry.Create($"{Architecture}.expert_used_count", GgufValueType.UInt32, 2));
        }
        metadata.AddRange(ExtraMetadata);
        var tensors = Tensors().ToList();
        var descriptors = tensors.Select(t => new GgufTensorDescriptor(t.Name, t.IsNorm ? GgmlType.F32 : WeightType, t.Shape)).ToList();
        using var writer = new GgufWriter(path, overwrite: true);
        writer.WriteHeader(metadata, descriptors);
        var random = new Random(Seed);
        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, shape, isNorm) = tensors[i];
            int rowLength = (int)shape[0];
            int rows = (int)shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var row = new float[rowLength];
            var bytes = new byte[BlockFormats.Get(descriptors[i].Type).RowBytes(rowLength)];
            // Each tensor gets its own spread, and some rows an outlier column, like trained weights.
            float spread = isNorm ? 0.1f : 0.02f * (1 + (i % 5));
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < rowLength; c++)
                {
                    float g = SampleRows.Gaussian(random) * spread;
                    row[c] = isNorm ? 1 + g : g;
                }
                if (!isNorm && r % 7 == 3)
                {
                    row[random.Next(rowLength)] *= 25;
                }
                BlockFormats.Get(descriptors[i].Type).Quantize(row, 1, rowLength, bytes);
                writer.WriteTensorData(bytes);
            }
        }
        writer.Commit();
        return path;
    }

    /// <summary>A deterministic importance matrix for this model's quantizable tensors, keyed as llama.cpp keys it.</summary>
    public Dictionary<string, float[]> ImportanceMatrix(int seed = 3)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, shape, isNorm) in Tensors())
        {
            if (!isNorm && name != "token_embd.weight")
            {
                // One run of weights per expert, as llama-imatrix stores 3-D tensors.
                int count = (int)(shape[0] * (shape.Length > 2 ? shape[2] : 1));
                result[name] = SampleRows.Importance(count, seed + result.Count, withZeros: false);
            }
        }
        return result;
    }

    /// <summary>The float bytes of an array, for hashing or comparison.</summary>
    public static ReadOnlySpan<byte> Bytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan());
}
