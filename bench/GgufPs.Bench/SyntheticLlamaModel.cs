using GgufPs.Quantization;

namespace GgufPs.Bench;

/// <summary>
/// The benchmark model: a llama-architecture F16 GGUF with the Llama-2 vocabulary (32,000 tokens) and random
/// weights, made deterministically so every run measures the same file. The default shape (2048/5632, 4 layers,
/// 32 heads, 8 KV heads) is about 320M parameters and 640 MB.
/// </summary>
internal sealed class SyntheticLlamaModel
{
    public int Embedding { get; init; } = 2048;
    public int FeedForward { get; init; } = 5632;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 32;
    public int KvHeads { get; init; } = 8;
    public GgmlType WeightType { get; init; } = GgmlType.F16;

    /// <summary>Writes the model to <paramref name="path"/> unless a file of the expected size is already there.</summary>
    public string Ensure(string path, string vocabPath)
    {
        using var vocab = GgufFile.Open(vocabPath);
        var metadata = new List<GgufMetadataEntry>
        {
            GgufMetadataEntry.Create("general.architecture", "llama"),
            GgufMetadataEntry.Create("general.name", "ggufps-bench"),
            GgufMetadataEntry.Create("general.file_type", WeightType == GgmlType.F16 ? 1u : 0u),
            GgufMetadataEntry.Create("llama.context_length", 4096u),
            GgufMetadataEntry.Create("llama.embedding_length", (uint)Embedding),
            GgufMetadataEntry.Create("llama.feed_forward_length", (uint)FeedForward),
            GgufMetadataEntry.Create("llama.block_count", (uint)Layers),
            GgufMetadataEntry.Create("llama.attention.head_count", (uint)Heads),
            GgufMetadataEntry.Create("llama.attention.head_count_kv", (uint)KvHeads),
            GgufMetadataEntry.Create("llama.rope.dimension_count", (uint)(Embedding / Heads)),
            GgufMetadataEntry.Create("llama.rope.freq_base", 10000f),
            GgufMetadataEntry.Create("llama.attention.layer_norm_rms_epsilon", 1e-5f),
            GgufMetadataEntry.Create("general.quantization_version", 2u),
        };
        metadata.AddRange(vocab.Metadata.Where(e => e.Key.StartsWith("tokenizer.", StringComparison.Ordinal)));
        long vocabSize = vocab.Metadata.GetArrayLength("tokenizer.ggml.tokens") ?? throw new InvalidDataException("vocab has no tokens");

        int kvDim = Embedding / Heads * KvHeads;
        var tensors = new List<GgufTensorDescriptor>
        {
            new("token_embd.weight", WeightType, [Embedding, vocabSize]),
        };
        for (int l = 0; l < Layers; l++)
        {
            tensors.Add(new($"blk.{l}.attn_norm.weight", GgmlType.F32, [Embedding]));
            tensors.Add(new($"blk.{l}.attn_q.weight", WeightType, [Embedding, Embedding]));
            tensors.Add(new($"blk.{l}.attn_k.weight", WeightType, [Embedding, kvDim]));
            tensors.Add(new($"blk.{l}.attn_v.weight", WeightType, [Embedding, kvDim]));
            tensors.Add(new($"blk.{l}.attn_output.weight", WeightType, [Embedding, Embedding]));
            tensors.Add(new($"blk.{l}.ffn_norm.weight", GgmlType.F32, [Embedding]));
            tensors.Add(new($"blk.{l}.ffn_gate.weight", WeightType, [Embedding, FeedForward]));
            tensors.Add(new($"blk.{l}.ffn_up.weight", WeightType, [Embedding, FeedForward]));
            tensors.Add(new($"blk.{l}.ffn_down.weight", WeightType, [FeedForward, Embedding]));
        }
        tensors.Add(new("output_norm.weight", GgmlType.F32, [Embedding]));
        tensors.Add(new("output.weight", WeightType, [Embedding, vocabSize]));

        long expected = GgufWriter.PredictSize(metadata, tensors);
        if (File.Exists(path) && new FileInfo(path).Length == expected)
        {
            return path;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new GgufWriter(path, overwrite: true);
        writer.WriteHeader(metadata, tensors);
        ulong state = 0x9E3779B97F4A7C15;
        foreach (var t in tensors)
        {
            int rowLength = (int)t.Shape[0];
            long rows = t.ElementCount / rowLength;
            var values = new float[rowLength];
            var bytes = new byte[GgmlTypeInfo.Get(t.Type).RowSize(rowLength)];
            bool norm = t.Shape.Length == 1;
            float scale = 1f / MathF.Sqrt(rowLength);
            for (long r = 0; r < rows; r++)
            {
                for (int i = 0; i < rowLength; i++)
                {
                    values[i] = norm ? 1f + 0.1f * NextSigned(ref state) : scale * 1.7f * NextSigned(ref state);
                }
                if (t.Type == GgmlType.F16)
                {
                    HalfPrecisionConverter.ToF16(values, bytes);
                }
                else
                {
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes);
                }
                writer.WriteTensorData(bytes);
            }
        }
        writer.Commit();
        return path;
    }

    // xorshift64*: fast and reproducible; uniform in [-1, 1).
    private static float NextSigned(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ulong r = state * 0x2545F4914F6CDD1DUL;
        return (r >> 40) / (float)(1 << 23) - 1f;
    }
}
