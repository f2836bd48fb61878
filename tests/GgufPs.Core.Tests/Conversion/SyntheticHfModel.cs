using System.Text;
using System.Text.Json;
using GgufPs.Conversion;

namespace GgufPs.Tests.Conversion;

/// <summary>
/// A small Llama or Qwen2 model made in code with deterministic random weights, written as a Hugging Face folder
/// (config, tokenizer, single or sharded safetensors), together with the reference forward pass over its weights.
/// </summary>
internal sealed class SyntheticHfModel
{
    private readonly Dictionary<string, SafetensorsTestWriter.Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _stored = new(StringComparer.Ordinal);

    public SyntheticHfModel(string architecture, int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab,
        bool qkvBias, bool tiedEmbeddings, int seed, int headDim = 0)
    {
        HeadDim = headDim == 0 ? hidden / heads : headDim;
        Architecture = architecture;
        Hidden = hidden;
        Intermediate = intermediate;
        Layers = layers;
        Heads = heads;
        KvHeads = kvHeads;
        Vocab = vocab;
        QkvBias = qkvBias;
        TiedEmbeddings = tiedEmbeddings;
        var random = new Random(seed);
        int kvDim = HeadDim * kvHeads, qDim = HeadDim * heads;
        bool gemma = architecture is "GemmaForCausalLM" or "Gemma2ForCausalLM";
        bool gemma2 = architecture == "Gemma2ForCausalLM";
        Add("model.embed_tokens.weight", [vocab, hidden], gemma ? 1.0 / Math.Sqrt(hidden) : 1.0, random);
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", [hidden], 0.1, random, mean: gemma ? 0 : 1);
            Add(p + "self_attn.q_proj.weight", [qDim, hidden], 2.0 / Math.Sqrt(hidden), random);
            Add(p + "self_attn.k_proj.weight", [kvDim, hidden], 2.0 / Math.Sqrt(hidden), random);
            Add(p + "self_attn.v_proj.weight", [kvDim, hidden], 1.0 / Math.Sqrt(hidden), random);
            if (qkvBias)
            {
                Add(p + "self_attn.q_proj.bias", [hidden], 0.5, random);
                Add(p + "self_attn.k_proj.bias", [kvDim], 0.5, random);
                Add(p + "self_attn.v_proj.bias", [kvDim], 0.5, random);
            }
            Add(p + "self_attn.o_proj.weight", [hidden, qDim], 1.0 / Math.Sqrt(qDim), random);
            Add(p + "post_attention_layernorm.weight", [hidden], 0.1, random, mean: gemma ? 0 : 1);
            if (gemma2)
            {
                Add(p + "pre_feedforward_layernorm.weight", [hidden], 0.1, random);
                Add(p + "post_feedforward_layernorm.weight", [hidden], 0.1, random);
            }
            Add(p + "mlp.gate_proj.weight", [intermediate, hidden], 1.0 / Math.Sqrt(hidden), random);
            Add(p + "mlp.up_proj.weight", [intermediate, hidden], 1.0 / Math.Sqrt(hidden), random);
            Add(p + "mlp.down_proj.weight", [hidden, intermediate], 1.0 / Math.Sqrt(intermediate), random);
        }
        Add("model.norm.weight", [hidden], 0.1, random, mean: gemma ? 0 : 1);
        if (!tiedEmbeddings)
        {
            Add("lm_head.weight", [vocab, hidden], 1.0 / Math.Sqrt(hidden), random);
        }
    }

    public string Architecture { get; }
    public int Hidden { get; }
    public int Intermediate { get; }
    public int Layers { get; }
    public int Heads { get; }
    public int KvHeads { get; }
    public int Vocab { get; }
    public bool QkvBias { get; }
    public bool TiedEmbeddings { get; }
    public int HeadDim { get; }
    public double RopeTheta { get; init; } = 10000;
    public double RmsEps { get; init; } = 1e-6;

    public IReadOnlyList<SafetensorsTestWriter.Tensor> Tensors => _tensors.Values.ToList();

    /// <summary>Writes the folder; the reference then uses the weights as rounded to <paramref name="type"/>.</summary>
    public string Write(string folder, SafetensorsDataType type, int shards = 1)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["architectures"] = new[] { Architecture },
            ["model_type"] = Architecture switch { "Qwen2ForCausalLM" => "qwen2", "GemmaForCausalLM" => "gemma", "Gemma2ForCausalLM" => "gemma2", "Phi3ForCausalLM" => "phi3", _ => "llama" },
            ["attn_logit_softcapping"] = 50.0,
            ["final_logit_softcapping"] = 30.0,
            ["query_pre_attn_scalar"] = HeadDim,
            ["original_max_position_embeddings"] = 512,
            ["sliding_window"] = null!,
            ["head_dim"] = HeadDim,
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["vocab_size"] = Vocab,
            ["max_position_embeddings"] = 512,
            ["rope_theta"] = RopeTheta,
            ["rms_norm_eps"] = RmsEps,
            ["tie_word_embeddings"] = TiedEmbeddings,
            ["bos_token_id"] = 1,
            ["eos_token_id"] = 2,
            ["torch_dtype"] = type == SafetensorsDataType.BF16 ? "bfloat16" : type == SafetensorsDataType.F16 ? "float16" : "float32",
        }));
        if (Architecture == "Qwen2ForCausalLM")
        {
            WriteByteLevelTokenizer(folder);
        }
        else
        {
            File.Copy(FixturePaths.Get("models", "stories260K", "tok512.model"), Path.Combine(folder, "tokenizer.model"));
        }
        var tensors = Architecture == "Phi3ForCausalLM" ? Fused(Tensors) : Tensors;
        if (shards == 1)
        {
            SafetensorsTestWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, type);
        }
        else
        {
            SafetensorsTestWriter.WriteSharded(folder, tensors, type, shards);
        }
        foreach (var t in Tensors)
        {
            _stored[t.Name] = SafetensorsTestWriter.RoundTrip(t.Values, type);
        }
        return folder;
    }

    /// <summary>Phi-3 stores q/k/v as one qkv_proj and gate/up as one gate_up_proj, stacked by rows in that order.</summary>
    private static List<SafetensorsTestWriter.Tensor> Fused(IReadOnlyList<SafetensorsTestWriter.Tensor> tensors)
    {
        var byName = tensors.ToDictionary(t => t.Name);
        var result = new List<SafetensorsTestWriter.Tensor>();
        foreach (var t in tensors)
        {
            if (t.Name.EndsWith("self_attn.q_proj.weight", StringComparison.Ordinal))
            {
                string p = t.Name[..^"q_proj.weight".Length];
                var parts = new[] { t, byName[p + "k_proj.weight"], byName[p + "v_proj.weight"] };
                result.Add(new(p + "qkv_proj.weight", [parts.Sum(x => x.Shape[0]), t.Shape[1]], parts.SelectMany(x => x.Values).ToArray()));
            }
            else if (t.Name.EndsWith("mlp.gate_proj.weight", StringComparison.Ordinal))
            {
                string p = t.Name[..^"gate_proj.weight".Length];
                var up = byName[p + "up_proj.weight"];
                result.Add(new(p + "gate_up_proj.weight", [t.Shape[0] * 2, t.Shape[1]], t.Values.Concat(up.Values).ToArray()));
            }
            else if (!t.Name.Contains("k_proj.") && !t.Name.Contains("v_proj.") && !t.Name.Contains("up_proj."))
            {
                result.Add(t);
            }
        }
        return result;
    }

    /// <summary>
    /// Writes the model as an fp8 checkpoint (transformers' fine-grained FP8): every linear weight as float8_e4m3fn
    /// with an F32 weight_scale_inv per <paramref name="block"/> x <paramref name="block"/> block, the rest BF16. The
    /// reference then uses the dequantized weights, decode(q) * scale.
    /// </summary>
    public string WriteFp8(string folder, int block) => WriteQuantized(folder, block, int8Channels: false);

    /// <summary>
    /// Writes the model as a compressed-tensors int-quantized checkpoint: linear weights as int8 with one F32
    /// weight_scale per output row ("channel" strategy).
    /// </summary>
    public string WriteInt8PerChannel(string folder) => WriteQuantized(folder, 0, int8Channels: true);

    private string WriteQuantized(string folder, int block, bool int8Channels)
    {
        Write(folder, SafetensorsDataType.BF16);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["quantization_config"] = System.Text.Json.Nodes.JsonNode.Parse(int8Channels
            ? """{"quant_method": "compressed-tensors", "format": "int-quantized", "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "int", "strategy": "channel", "symmetric": true}}}}"""
            : $$"""{"quant_method": "fp8", "activation_scheme": "dynamic", "weight_block_size": [{{block}}, {{block}}]}""");
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var output = new List<SafetensorsTestWriter.Tensor>();
        foreach (var t in Tensors)
        {
            if (t.Shape.Length != 2 || !t.Name.Contains("_proj."))
            {
                output.Add(t);
                continue;
            }
            int rows = (int)t.Shape[0], cols = (int)t.Shape[1];
            if (int8Channels)
            {
                var rowScales = new float[rows];
                var ints = new byte[rows * cols];
                var values = new float[rows * cols];
                for (int r = 0; r < rows; r++)
                {
                    rowScales[r] = Enumerable.Range(0, cols).Max(c => Math.Abs(t.Values[r * cols + c])) / 127f;
                    for (int c = 0; c < cols; c++)
                    {
                        sbyte q = (sbyte)Math.Round(t.Values[r * cols + c] / rowScales[r]);
                        ints[r * cols + c] = (byte)q;
                        values[r * cols + c] = q * rowScales[r];
                    }
                }
                output.Add(t with { Type = SafetensorsDataType.I8, Raw = ints });
                output.Add(new SafetensorsTestWriter.Tensor(t.Name[..^".weight".Length] + ".weight_scale", [rows, 1], rowScales, SafetensorsDataType.F32));
                _stored[t.Name] = values;
                continue;
            }
            int blockRows = (rows + block - 1) / block, blockCols = (cols + block - 1) / block;
            var scales = new float[blockRows * blockCols];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    int b = r / block * blockCols + c / block;
                    scales[b] = Math.Max(scales[b], Math.Abs(t.Values[r * cols + c]) / 448f);
                }
            }
            var codes = new byte[rows * cols];
            var dequantized = new float[rows * cols];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    float s = scales[r / block * blockCols + c / block];
                    codes[r * cols + c] = Float8E4M3.Nearest(t.Values[r * cols + c] / s);
                    dequantized[r * cols + c] = Float8E4M3.Decode(codes[r * cols + c]) * s;
                }
            }
            output.Add(t with { Type = SafetensorsDataType.F8_E4M3, Raw = codes });
            output.Add(new SafetensorsTestWriter.Tensor(t.Name + "_scale_inv", [blockRows, blockCols], scales, SafetensorsDataType.F32));
            _stored[t.Name] = dequantized;
        }
        File.Delete(Path.Combine(folder, "model.safetensors"));
        SafetensorsTestWriter.Write(Path.Combine(folder, "model.safetensors"), output.OrderBy(t => t.Name, StringComparer.Ordinal), SafetensorsDataType.BF16);
        return folder;
    }

    public ReferenceTransformer Reference() =>
        new(name => _stored[name], Hidden, Intermediate, Layers, Heads, KvHeads, Vocab, RopeTheta, RmsEps, QkvBias, TiedEmbeddings,
            HeadDim, gemma: Architecture is "GemmaForCausalLM" or "Gemma2ForCausalLM",
            attentionSoftcap: Architecture == "Gemma2ForCausalLM" ? 50 : 0, finalSoftcap: Architecture == "Gemma2ForCausalLM" ? 30 : 0);

    /// <summary>
    /// A byte-level BPE tokenizer.json with Qwen2's pre-tokenizer: the 256 byte pieces, two merges, and added
    /// special tokens; the config's vocab_size is larger, so the converter pads with [PAD{id}].
    /// </summary>
    private static void WriteByteLevelTokenizer(string folder)
    {
        var vocab = new Dictionary<string, int>();
        foreach (var (b, c) in ByteToUnicode())
        {
            vocab[c.ToString()] = vocab.Count;
        }
        vocab["Ġt"] = vocab.Count;
        vocab["he"] = vocab.Count;
        int endOfText = vocab.Count;
        const string qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
        var tokenizer = new
        {
            version = "1.0",
            added_tokens = new object[]
            {
                new { id = endOfText, content = "<|endoftext|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
                new { id = endOfText + 1, content = "<|im_start|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
                new { id = endOfText + 2, content = "<|im_end|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            },
            normalizer = new { type = "NFC" },
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = qwen2 }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
                },
            },
            decoder = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
            model = new { type = "BPE", byte_fallback = false, ignore_merges = false, vocab, merges = new[] { new[] { "Ġ", "t" }, new[] { "h", "e" } } },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tokenizer));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["add_bos_token"] = false,
            ["bos_token"] = null,
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["chat_template"] = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
        }));
    }

    /// <summary>GPT-2's reversible byte-to-character map.</summary>
    public static IEnumerable<(int Byte, char Char)> ByteToUnicode()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            yield return (b, printable.Contains(b) ? (char)b : (char)(256 + extra++));
        }
    }

    private void Add(string name, long[] shape, double scale, Random random, double mean = 0)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(mean + scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        _tensors[name] = new SafetensorsTestWriter.Tensor(name, shape, values);
    }
}
