using GgufPs.Tokenization;

namespace GgufPs.Inference;

/// <summary>
/// A transformer read from a GGUF file for inference. The weight matrices stay in the memory-mapped file in their
/// stored types; only norm weights and biases (small vectors) are copied out as floats.
/// </summary>
public sealed class TransformerModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly bool _ownsFile;

    private TransformerModel(GgufFile file, bool ownsFile, TransformerConfig config)
    {
        _file = file;
        _ownsFile = ownsFile;
        Config = config;
        Tokenizer = Tokenizer.FromMetadata(file.Metadata);
        TokenEmbedding = Matrix("token_embd.weight", config.EmbeddingLength, null);
        VocabularySize = TokenEmbedding.Rows;
        if (Tokenizer.VocabularySize != VocabularySize)
        {
            throw new InvalidDataException($"The vocabulary has {Tokenizer.VocabularySize} tokens but token_embd.weight has {VocabularySize} rows.");
        }
        OutputNorm = Vector("output_norm.weight", config.EmbeddingLength)!;
        OutputNormBias = OptionalVector("output_norm.bias", config.EmbeddingLength);
        Output = file.FindTensor("output.weight") is null ? TokenEmbedding : Matrix("output.weight", config.EmbeddingLength, VocabularySize);
        if (config.Architecture == ModelArchitecture.Gpt2)
        {
            PositionEmbedding = Matrix("position_embd.weight", config.EmbeddingLength, null);
        }
        if (config.Architecture == ModelArchitecture.Llama && file.FindTensor("rope_freqs.weight") is not null)
        {
            RopeFrequencyFactors = Vector("rope_freqs.weight", config.RopeDimensions / 2);
        }
        Layers = Enumerable.Range(0, config.LayerCount).Select(LoadLayer).ToArray();
    }

    internal TransformerConfig Config { get; }

    public Tokenizer Tokenizer { get; }

    public int VocabularySize { get; }

    public string Path => _file.Path;

    internal WeightMatrix TokenEmbedding { get; }

    internal WeightMatrix? PositionEmbedding { get; }

    internal float[] OutputNorm { get; }

    internal float[]? OutputNormBias { get; }

    internal WeightMatrix Output { get; }

    internal float[]? RopeFrequencyFactors { get; }

    internal TransformerLayer[] Layers { get; }

    /// <summary>Opens a GGUF model for inference.</summary>
    /// <exception cref="GgufFormatException">The file is not a valid GGUF.</exception>
    /// <exception cref="NotSupportedException">The architecture is not supported.</exception>
    /// <exception cref="InvalidDataException">Tensors are missing or have the wrong shape.</exception>
    public static TransformerModel Open(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new TransformerModel(file, ownsFile: true, TransformerConfig.FromMetadata(file.Metadata));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Uses an already open file, which must outlive the model.</summary>
    public static TransformerModel FromFile(GgufFile file) =>
        new(file, ownsFile: false, TransformerConfig.FromMetadata(file.Metadata));

    /// <summary>The memory a context of <paramref name="contextLength"/> positions keeps for keys and values (F16), in bytes.</summary>
    public long KeyValueCacheBytes(int contextLength) => KeyValueCache.BytesFor(Config.LayerCount, contextLength, Config.KeyValueLength);

    public void Dispose()
    {
        if (_ownsFile)
        {
            _file.Dispose();
        }
    }

    private TransformerLayer LoadLayer(int index)
    {
        var c = Config;
        string p = $"blk.{index}.";
        bool gpt2 = c.Architecture == ModelArchitecture.Gpt2;
        bool qwen = c.Architecture == ModelArchitecture.Qwen2;
        return new TransformerLayer
        {
            AttentionNorm = Vector(p + "attn_norm.weight", c.EmbeddingLength)!,
            AttentionNormBias = gpt2 ? Vector(p + "attn_norm.bias", c.EmbeddingLength) : null,
            Query = gpt2 ? null : Matrix(p + "attn_q.weight", c.EmbeddingLength, c.QueryLength),
            Key = gpt2 ? null : Matrix(p + "attn_k.weight", c.EmbeddingLength, c.KeyValueLength),
            Value = gpt2 ? null : Matrix(p + "attn_v.weight", c.EmbeddingLength, c.KeyValueLength),
            QueryBias = gpt2 ? null : qwen ? Vector(p + "attn_q.bias", c.QueryLength) : OptionalVector(p + "attn_q.bias", c.QueryLength),
            KeyBias = gpt2 ? null : qwen ? Vector(p + "attn_k.bias", c.KeyValueLength) : OptionalVector(p + "attn_k.bias", c.KeyValueLength),
            ValueBias = gpt2 ? null : qwen ? Vector(p + "attn_v.bias", c.KeyValueLength) : OptionalVector(p + "attn_v.bias", c.KeyValueLength),
            QueryKeyValue = gpt2 ? Matrix(p + "attn_qkv.weight", c.EmbeddingLength, c.QueryLength + 2 * c.KeyValueLength) : null,
            QueryKeyValueBias = gpt2 ? Vector(p + "attn_qkv.bias", c.QueryLength + 2 * c.KeyValueLength) : null,
            Output = Matrix(p + "attn_output.weight", c.QueryLength, c.EmbeddingLength),
            OutputBias = gpt2 ? Vector(p + "attn_output.bias", c.EmbeddingLength) : OptionalVector(p + "attn_output.bias", c.EmbeddingLength),
            FeedForwardNorm = Vector(p + "ffn_norm.weight", c.EmbeddingLength)!,
            FeedForwardNormBias = gpt2 ? Vector(p + "ffn_norm.bias", c.EmbeddingLength) : null,
            Gate = gpt2 ? null : Matrix(p + "ffn_gate.weight", c.EmbeddingLength, c.FeedForwardLength),
            GateBias = gpt2 ? null : OptionalVector(p + "ffn_gate.bias", c.FeedForwardLength),
            Up = Matrix(p + "ffn_up.weight", c.EmbeddingLength, c.FeedForwardLength),
            UpBias = gpt2 ? Vector(p + "ffn_up.bias", c.FeedForwardLength) : OptionalVector(p + "ffn_up.bias", c.FeedForwardLength),
            Down = Matrix(p + "ffn_down.weight", c.FeedForwardLength, c.EmbeddingLength),
            DownBias = gpt2 ? Vector(p + "ffn_down.bias", c.EmbeddingLength) : OptionalVector(p + "ffn_down.bias", c.EmbeddingLength),
        };
    }

    private WeightMatrix Matrix(string name, int columns, int? rows)
    {
        var tensor = _file.FindTensor(name) ?? throw new InvalidDataException($"The model lacks the tensor '{name}'.");
        var matrix = new WeightMatrix(_file, tensor);
        if (matrix.Columns != columns || (rows is { } r && matrix.Rows != r))
        {
            throw new InvalidDataException($"Tensor '{name}' is [{matrix.Columns}, {matrix.Rows}]; [{columns}, {rows?.ToString() ?? "n"}] was expected.");
        }
        return matrix;
    }

    private float[]? OptionalVector(string name, int length) => _file.FindTensor(name) is null ? null : Vector(name, length);

    private float[] Vector(string name, int length)
    {
        var tensor = _file.FindTensor(name) ?? throw new InvalidDataException($"The model lacks the tensor '{name}'.");
        if (tensor.ElementCount != length)
        {
            throw new InvalidDataException($"Tensor '{name}' has {tensor.ElementCount} values; {length} were expected.");
        }
        var matrix = new WeightMatrix(_file, tensor);
        var values = new float[length];
        for (int row = 0; row < matrix.Rows; row++)
        {
            matrix.DecodeRow(row, 0, values.AsSpan(row * matrix.Columns, matrix.Columns));
        }
        return values;
    }
}
