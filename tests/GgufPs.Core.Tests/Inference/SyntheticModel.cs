using System.Text;
using GgufPs.Inference;
using GgufPs.Quantization;
using GgufPs.Tokenization;

namespace GgufPs.Tests.Inference;

/// <summary>
/// Small models of each supported architecture with deterministic random weights, written as GGUF for tests.
/// llama-shaped models use stories260K's SentencePiece vocabulary; qwen2 and gpt2 models get a byte-level BPE
/// vocabulary trained here on the TinyStories fixture, so the tokenizers are exercised too.
/// </summary>
internal sealed record SyntheticModel(
    ModelArchitecture Architecture,
    int Embedding,
    int FeedForward,
    int Layers,
    int Heads,
    int KvHeads,
    GgmlType WeightType = GgmlType.F32,
    bool TiedOutput = false,
    ulong Seed = 0x9E3779B97F4A7C15)
{
    private static readonly Lazy<(string[] Tokens, string[] Merges)> BpeVocabulary = new(TrainBpe);

    public string Write(string path)
    {
        string arch = Architecture switch
        {
            ModelArchitecture.Llama => "llama",
            ModelArchitecture.Qwen2 => "qwen2",
            _ => "gpt2",
        };
        int headDim = Embedding / Heads;
        int kvDim = headDim * KvHeads;
        var metadata = new List<GgufMetadataEntry>
        {
            GgufMetadataEntry.Create("general.architecture", arch),
            GgufMetadataEntry.Create("general.name", $"synthetic-{arch}"),
            GgufMetadataEntry.Create($"{arch}.context_length", 1024u),
            GgufMetadataEntry.Create($"{arch}.embedding_length", (uint)Embedding),
            GgufMetadataEntry.Create($"{arch}.feed_forward_length", (uint)FeedForward),
            GgufMetadataEntry.Create($"{arch}.block_count", (uint)Layers),
            GgufMetadataEntry.Create($"{arch}.attention.head_count", (uint)Heads),
            GgufMetadataEntry.Create($"{arch}.attention.head_count_kv", (uint)KvHeads),
        };
        if (Architecture == ModelArchitecture.Gpt2)
        {
            metadata.Add(GgufMetadataEntry.Create($"{arch}.attention.layer_norm_epsilon", 1e-5f));
        }
        else
        {
            metadata.Add(GgufMetadataEntry.Create($"{arch}.rope.dimension_count", (uint)headDim));
            metadata.Add(GgufMetadataEntry.Create($"{arch}.rope.freq_base", Architecture == ModelArchitecture.Qwen2 ? 1000000f : 10000f));
            metadata.Add(GgufMetadataEntry.Create($"{arch}.attention.layer_norm_rms_epsilon", 1e-6f));
        }
        int vocabulary = AddTokenizer(metadata);

        var tensors = new List<(GgufTensorDescriptor Descriptor, float Scale, float Offset)>();
        void Matrix(string name, int columns, int rows) => tensors.Add((new(name, WeightType, [columns, rows]), 1.7f / MathF.Sqrt(columns), 0));
        void Vector(string name, int length, float offset) => tensors.Add((new(name, GgmlType.F32, [length]), 0.1f, offset));

        Matrix("token_embd.weight", Embedding, vocabulary);
        if (Architecture == ModelArchitecture.Gpt2)
        {
            tensors.Add((new("position_embd.weight", WeightType, [Embedding, 1024]), 0.5f, 0));
        }
        Vector("output_norm.weight", Embedding, 1);
        if (Architecture == ModelArchitecture.Gpt2)
        {
            Vector("output_norm.bias", Embedding, 0);
        }
        if (!TiedOutput)
        {
            Matrix("output.weight", Embedding, vocabulary);
        }
        for (int l = 0; l < Layers; l++)
        {
            string p = $"blk.{l}.";
            Vector(p + "attn_norm.weight", Embedding, 1);
            if (Architecture == ModelArchitecture.Gpt2)
            {
                Vector(p + "attn_norm.bias", Embedding, 0);
                Matrix(p + "attn_qkv.weight", Embedding, Embedding + 2 * kvDim);
                Vector(p + "attn_qkv.bias", Embedding + 2 * kvDim, 0);
                Matrix(p + "attn_output.weight", Embedding, Embedding);
                Vector(p + "attn_output.bias", Embedding, 0);
                Vector(p + "ffn_norm.weight", Embedding, 1);
                Vector(p + "ffn_norm.bias", Embedding, 0);
                Matrix(p + "ffn_up.weight", Embedding, FeedForward);
                Vector(p + "ffn_up.bias", FeedForward, 0);
                Matrix(p + "ffn_down.weight", FeedForward, Embedding);
                Vector(p + "ffn_down.bias", Embedding, 0);
                continue;
            }
            Matrix(p + "attn_q.weight", Embedding, Embedding);
            Matrix(p + "attn_k.weight", Embedding, kvDim);
            Matrix(p + "attn_v.weight", Embedding, kvDim);
            if (Architecture == ModelArchitecture.Qwen2)
            {
                Vector(p + "attn_q.bias", Embedding, 0);
                Vector(p + "attn_k.bias", kvDim, 0);
                Vector(p + "attn_v.bias", kvDim, 0);
            }
            Matrix(p + "attn_output.weight", Embedding, Embedding);
            Vector(p + "ffn_norm.weight", Embedding, 1);
            Matrix(p + "ffn_gate.weight", Embedding, FeedForward);
            Matrix(p + "ffn_up.weight", Embedding, FeedForward);
            Matrix(p + "ffn_down.weight", FeedForward, Embedding);
        }

        using var writer = new GgufWriter(path, overwrite: true);
        writer.WriteHeader(metadata, tensors.Select(t => t.Descriptor).ToList());
        ulong state = Seed;
        foreach (var (t, scale, offset) in tensors)
        {
            int rowLength = (int)t.Shape[0];
            long rows = t.ElementCount / rowLength;
            var values = new float[rowLength];
            var bytes = new byte[GgmlTypeInfo.Get(t.Type).RowSize(rowLength)];
            var format = BlockFormats.Get(t.Type);
            for (long r = 0; r < rows; r++)
            {
                for (int i = 0; i < rowLength; i++)
                {
                    values[i] = offset + scale * NextSigned(ref state);
                }
                format.Quantize(values, 1, rowLength, bytes);
                writer.WriteTensorData(bytes);
            }
        }
        writer.Commit();
        return path;
    }

    private int AddTokenizer(List<GgufMetadataEntry> metadata)
    {
        if (Architecture == ModelArchitecture.Llama)
        {
            using var stories = GgufFile.Open(FixturePaths.Stories260K);
            foreach (var entry in stories.Metadata.Where(e => e.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
            {
                metadata.Add(GgufMetadataEntry.Create(entry.Key, entry.ValueType, entry.Value));
            }
            return (int)stories.Metadata.GetArrayLength("tokenizer.ggml.tokens")!;
        }
        var (tokens, merges) = BpeVocabulary.Value;
        var types = tokens.Select(t => t == "<|endoftext|>" ? 3 : 1).ToArray();
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.model", "gpt2"));
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.pre", Architecture == ModelArchitecture.Qwen2 ? "qwen2" : "gpt-2"));
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.tokens", tokens));
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.token_type", types));
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.merges", merges));
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.bos_token_id", (uint)(tokens.Length - 1)));
        metadata.Add(GgufMetadataEntry.Create("tokenizer.ggml.eos_token_id", (uint)(tokens.Length - 1)));
        return tokens.Length;
    }

    /// <summary>A byte-level BPE vocabulary of the 256 byte tokens, 250 merges learned from TinyStories, and &lt;|endoftext|&gt;.</summary>
    private static (string[] Tokens, string[] Merges) TrainBpe()
    {
        byte[] text = File.ReadAllBytes(FixturePaths.Get("text", "tinystories_heldout.txt"));
        var splitter = BpePreTokenizer.ForPreType(BpePreType.Gpt2);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (byte[] word in splitter.Split(text))
        {
            string w = Encoding.UTF8.GetString(word);
            counts[w] = counts.GetValueOrDefault(w) + 1;
        }
        var words = counts.Select(kv => (Symbols: kv.Key.EnumerateRunes().Select(r => r.ToString()).ToList(), Count: kv.Value)).ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => char.ConvertFromUtf32(Gpt2EncodingOf((byte)b))).ToList();
        var merges = new List<string>();
        for (int m = 0; m < 250; m++)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var key = (symbols[i], symbols[i + 1]);
                    pairs[key] = pairs.GetValueOrDefault(key) + count;
                }
            }
            if (pairs.Count == 0)
            {
                break;
            }
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best.Item1 + " " + best.Item2);
            if (!tokens.Contains(best.Item1 + best.Item2))
            {
                tokens.Add(best.Item1 + best.Item2);
            }
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] += symbols[i + 1];
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        tokens.Add("<|endoftext|>");
        return (tokens.ToArray(), merges.ToArray());
    }

    private static int Gpt2EncodingOf(byte b) => Gpt2ByteEncoding.Encode(b);

    // xorshift64*: uniform in [-1, 1), the same stream on every machine.
    private static float NextSigned(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ulong r = state * 0x2545F4914F6CDD1DUL;
        return (r >> 40) / (float)(1 << 23) - 1f;
    }
}
