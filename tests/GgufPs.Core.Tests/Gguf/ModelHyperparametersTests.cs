using System.Runtime.InteropServices;
using GgufPs.Inference;
using GgufPs.Oracle;
using GgufPs.Quantization;
using GgufPs.Tests.Inference;

namespace GgufPs.Tests.Gguf;

/// <summary>
/// The one reader of a model's hyperparameters, behind Get-GgufInfo, the quantization mix and inference: the defaults
/// llama.cpp's llama_model::load_hparams gives absent keys, where the three readers it replaced differed.
/// </summary>
public class ModelHyperparametersTests
{
    private static GgufMetadataCollection Metadata(params GgufMetadataEntry[] entries) =>
        new([GgufMetadataEntry.Create("general.architecture", "llama"), .. entries]);

    private static GgufModelInfo Info(GgufMetadataCollection metadata) => new("m.gguf", 0, 3, metadata, [], 32, 0);

    [Fact]
    public void AbsentKvHeadCountIsTheHeadCount()
    {
        // "n_head_kv is optional, default to n_head": Get-GgufInfo reported nothing.
        var metadata = Metadata(GgufMetadataEntry.Create("llama.attention.head_count", 8u));
        Assert.Equal(8, Info(metadata).HeadCountKv);
        Assert.Equal(8, ModelHyperparameters.From(metadata).HeadCountKv);
        Assert.Equal(1, ModelHyperparameters.From(metadata).GroupedQueryFactor);
    }

    [Fact]
    public void PerLayerCountsReadLayerZero()
    {
        // get_key_or_arr takes an array of one value per layer; n_head() and n_ff() are layer 0's.
        var metadata = Metadata(
            GgufMetadataEntry.Create("llama.block_count", 3u),
            GgufMetadataEntry.Create("llama.attention.head_count", new uint[] { 8, 8, 8 }),
            GgufMetadataEntry.Create("llama.attention.head_count_kv", new int[] { 2, 2, 2 }),
            GgufMetadataEntry.Create("llama.feed_forward_length", new uint[] { 512, 512, 512 }));
        var info = Info(metadata);
        Assert.Equal((8L, 2L, 512L), (info.HeadCount!.Value, info.HeadCountKv!.Value, info.FeedForwardLength!.Value));
        var hparams = ModelHyperparameters.From(metadata);
        Assert.False(hparams.VariesPerLayer);
        Assert.Equal(4, hparams.GroupedQueryFactor);
    }

    [Fact]
    public void CountsThatDifferBetweenLayersAreRefusedForInference()
    {
        var metadata = Metadata(
            GgufMetadataEntry.Create("llama.context_length", 256u),
            GgufMetadataEntry.Create("llama.embedding_length", 64u),
            GgufMetadataEntry.Create("llama.block_count", 2u),
            GgufMetadataEntry.Create("llama.feed_forward_length", new uint[] { 128, 256 }),
            GgufMetadataEntry.Create("llama.attention.head_count", 4u),
            GgufMetadataEntry.Create("llama.attention.layer_norm_rms_epsilon", 1e-5f));
        Assert.True(ModelHyperparameters.From(metadata).VariesPerLayer);
        Assert.Equal(128, Info(metadata).FeedForwardLength);
        Assert.Throws<NotSupportedException>(() => TransformerConfig.FromMetadata(metadata));
    }

    [Fact]
    public void RopeAndNormDefaultsAreLlamaCpps()
    {
        var metadata = Metadata(
            GgufMetadataEntry.Create("llama.context_length", 256u),
            GgufMetadataEntry.Create("llama.embedding_length", 64u),
            GgufMetadataEntry.Create("llama.block_count", 1u),
            GgufMetadataEntry.Create("llama.feed_forward_length", 128u),
            GgufMetadataEntry.Create("llama.attention.head_count", 4u),
            GgufMetadataEntry.Create("llama.attention.layer_norm_rms_epsilon", 1e-5f),
            GgufMetadataEntry.Create("llama.rope.scale_linear", 4.0f));
        var config = TransformerConfig.FromMetadata(metadata);
        Assert.Equal((4, 16, 16), (config.KeyValueHeadCount, config.HeadDimension, config.RopeDimensions));
        Assert.Equal((10000f, 0.25f, 1e-5f), (config.RopeFrequencyBase, config.RopeFrequencyScale, config.NormEpsilon));
    }

    [Fact]
    public void QuantizationReadsHeadCountsAsGetGgufInfoDoes()
    {
        // A per-layer head count used to leave Get-GgufInfo empty while the type mix took layer 0's.
        var metadata = Metadata(
            GgufMetadataEntry.Create("llama.block_count", 80u),
            GgufMetadataEntry.Create("llama.attention.head_count", Enumerable.Repeat(64u, 80).ToArray()),
            GgufMetadataEntry.Create("llama.attention.head_count_kv", 8u));
        var hparams = ModelHyperparameters.From(metadata);
        Assert.Equal((64L, 8L), (Info(metadata).HeadCount!.Value, Info(metadata).HeadCountKv!.Value));
        Assert.Equal(8, hparams.GroupedQueryFactor);
        Assert.True(hparams.Is70B);
    }

    /// <summary>
    /// A llama whose heads are narrower than embedding / heads (as Mistral Nemo's): 2 heads of 16 on a 64-wide
    /// embedding. llama.cpp defaults value_length to embedding / heads (32), not to key_length, so without the key it
    /// expects 32-wide values and refuses these tensors; with it, it runs the model.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ValueLengthDefaultsToEmbeddingOverHeadsAsLlamaCpp(bool statesValueLength)
    {
        using var directory = new TempDirectory();
        string path = WriteNarrowHeadModel(directory.File("narrow-heads.gguf"), statesValueLength);
        Assert.Equal(statesValueLength, LlamaCppOracle.CanLoadModel(path));
        if (!statesValueLength)
        {
            var ex = Record.Exception(() => TransformerModel.Open(path).Dispose());
            Assert.True(ex is NotSupportedException or NotImplementedException, ex?.ToString() ?? "opened");
            Assert.Contains("value length 32", ex!.Message);
            return;
        }
        const int n = 16;
        using var model = TransformerModel.Open(path);
        Assert.Equal((16, 2, 1), (model.Config.HeadDimension, model.Config.HeadCount, model.Config.KeyValueHeadCount));
        int[] tokens = Enumerable.Range(0, n).Select(i => 1 + 37 * i % (model.VocabularySize - 1)).ToArray();
        using var oracle = LlamaCppOracle.LoadModelWithF32Cache(path, contextLength: n)!;
        float[] expected = oracle.EvaluateAll(tokens);
        using var context = new InferenceContext(model, n, n, threads: 2);
        var actual = new float[expected.Length];
        context.Evaluate(tokens, 0, actual);
        var comparison = LogitComparison.Compare(expected, actual, model.VocabularySize);
        Assert.True(comparison.MaxAbsDifference < 1e-3, comparison.ToString());
    }

    private static string WriteNarrowHeadModel(string path, bool statesValueLength)
    {
        const int embedding = 64, heads = 2, kvHeads = 1, headSize = 16, feedForward = 128;
        var metadata = new List<GgufMetadataEntry>
        {
            GgufMetadataEntry.Create("general.architecture", "llama"),
            GgufMetadataEntry.Create("llama.context_length", 256u),
            GgufMetadataEntry.Create("llama.embedding_length", (uint)embedding),
            GgufMetadataEntry.Create("llama.feed_forward_length", (uint)feedForward),
            GgufMetadataEntry.Create("llama.block_count", 1u),
            GgufMetadataEntry.Create("llama.attention.head_count", (uint)heads),
            GgufMetadataEntry.Create("llama.attention.head_count_kv", (uint)kvHeads),
            GgufMetadataEntry.Create("llama.attention.key_length", (uint)headSize),
            GgufMetadataEntry.Create("llama.rope.dimension_count", (uint)headSize),
            GgufMetadataEntry.Create("llama.attention.layer_norm_rms_epsilon", 1e-5f),
        };
        if (statesValueLength)
        {
            metadata.Add(GgufMetadataEntry.Create("llama.attention.value_length", (uint)headSize));
        }
        int vocabulary;
        using (var stories = GgufFile.Open(FixturePaths.Stories260K))
        {
            foreach (var entry in stories.Metadata.Where(e => e.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
            {
                metadata.Add(GgufMetadataEntry.Create(entry.Key, entry.ValueType, entry.Value));
            }
            vocabulary = (int)stories.Metadata.GetArrayLength("tokenizer.ggml.tokens")!;
        }
        var tensors = new List<GgufTensorDescriptor>
        {
            new("token_embd.weight", GgmlType.F32, [embedding, vocabulary]),
            new("output_norm.weight", GgmlType.F32, [embedding]),
            new("output.weight", GgmlType.F32, [embedding, vocabulary]),
            new("blk.0.attn_norm.weight", GgmlType.F32, [embedding]),
            new("blk.0.attn_q.weight", GgmlType.F32, [embedding, heads * headSize]),
            new("blk.0.attn_k.weight", GgmlType.F32, [embedding, kvHeads * headSize]),
            new("blk.0.attn_v.weight", GgmlType.F32, [embedding, kvHeads * headSize]),
            new("blk.0.attn_output.weight", GgmlType.F32, [heads * headSize, embedding]),
            new("blk.0.ffn_norm.weight", GgmlType.F32, [embedding]),
            new("blk.0.ffn_gate.weight", GgmlType.F32, [embedding, feedForward]),
            new("blk.0.ffn_up.weight", GgmlType.F32, [embedding, feedForward]),
            new("blk.0.ffn_down.weight", GgmlType.F32, [feedForward, embedding]),
        };
        using var writer = new GgufWriter(path, overwrite: true);
        writer.WriteHeader(metadata, tensors);
        var random = new Random(7);
        foreach (var tensor in tensors)
        {
            bool norm = tensor.Shape.Length == 1;
            var values = new float[tensor.ElementCount];
            for (int i = 0; i < values.Length; i++)
            {
                float noise = (float)(random.NextDouble() * 2 - 1);
                values[i] = norm ? 1 + 0.1f * noise : noise / MathF.Sqrt(tensor.Shape[0]);
            }
            writer.WriteTensorData(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        writer.Commit();
        return path;
    }
}
