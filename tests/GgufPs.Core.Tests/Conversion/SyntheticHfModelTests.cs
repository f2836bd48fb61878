using GgufPs.Conversion;
using GgufPs.Oracle;

namespace GgufPs.Tests.Conversion;

/// <summary>
/// Models built in code, converted, run by llama.cpp, and held to the reference forward pass over their original
/// weights: a llama with grouped-query attention and 256-multiple dimensions, and a qwen2 with Q/K/V biases.
/// </summary>
public class SyntheticHfModelTests
{
    private static readonly int[] Tokens = [1, 17, 300, 42, 5, 511, 99];

    [Theory]
    [InlineData("BF16", 1)]
    [InlineData("F16", 3)]
    public void LlamaWithGroupedQueryAttentionMatchesReference(string storage, int shards)
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("LlamaForCausalLM", hidden: 256, intermediate: 512, layers: 2, heads: 4, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: false, seed: 7);
        string folder = model.Write(Path.Combine(temp.Path, "synthetic-llama"), Enum.Parse<SafetensorsDataType>(storage), shards);
        AssertLogitsMatch(model, folder, Tokens);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Qwen2WithBiasesMatchesReference(int shards, bool tied)
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("Qwen2ForCausalLM", hidden: 256, intermediate: 768, layers: 2, heads: 4, kvHeads: 2, vocab: 384,
            qkvBias: true, tiedEmbeddings: tied, seed: 11) { RopeTheta = 1_000_000 };
        string folder = model.Write(Path.Combine(temp.Path, "synthetic-qwen2"), SafetensorsDataType.F32, shards);
        int[] tokens = [0, 17, 300, 42, 5, 258, 99];
        var plan = AssertLogitsMatch(model, folder, tokens);

        using var file = GgufFile.Open(plan);
        Assert.Equal("qwen2", file.Metadata.GetString("tokenizer.ggml.pre"));
        Assert.Equal("gpt2", file.Metadata.GetString("tokenizer.ggml.model"));
        var tokenList = file.Metadata.GetArray<string>("tokenizer.ggml.tokens")!;
        Assert.Equal(384, tokenList.Length);
        Assert.Equal("[PAD300]", tokenList[300]);
        Assert.Equal(["Ġ t", "h e"], file.Metadata.GetArray<string>("tokenizer.ggml.merges")!);
        Assert.Equal(3, file.Metadata.GetArray<int>("tokenizer.ggml.token_type")![258]);
        Assert.Equal(260L, file.Metadata.GetInteger("tokenizer.ggml.eos_token_id"));
        Assert.Equal(258L, file.Metadata.GetInteger("tokenizer.ggml.padding_token_id"));
        Assert.False(file.Metadata.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.NotNull(file.Metadata.GetString("tokenizer.chat_template"));
        Assert.Equal(tied ? null : "output.weight", file.FindTensor("output.weight")?.Name);
    }

    [Theory]
    [InlineData("BF16")]
    [InlineData("F16")]
    public void GemmaWithWideHeadsMatchesReference(string storage)
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("GemmaForCausalLM", hidden: 256, intermediate: 512, layers: 2, heads: 4, kvHeads: 1, vocab: 512,
            qkvBias: false, tiedEmbeddings: true, seed: 13, headDim: 128);
        string folder = model.Write(Path.Combine(temp.Path, "synthetic-gemma"), Enum.Parse<SafetensorsDataType>(storage));
        // ggml's CPU GELU reads a half-precision table, which costs about 1e-4 of the logits' scale.
        string output = AssertLogitsMatch(model, folder, Tokens, tolerance: 1e-3);
        using var file = GgufFile.Open(output);
        Assert.Equal("gemma", file.Architecture);
        Assert.Equal(128L, file.Metadata.GetInteger("gemma.attention.key_length"));
        Assert.Equal(107L, file.Metadata.GetInteger("tokenizer.ggml.eot_token_id"));
        Assert.False(file.Metadata.GetBool("tokenizer.ggml.add_space_prefix"));
        Assert.Null(file.FindTensor("output.weight"));
    }

    [Fact]
    public void Gemma2WithPostNormsAndSoftCappingMatchesReference()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("Gemma2ForCausalLM", hidden: 256, intermediate: 512, layers: 2, heads: 4, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: true, seed: 23, headDim: 64);
        string folder = model.Write(Path.Combine(temp.Path, "synthetic-gemma2"), SafetensorsDataType.BF16);
        string output = AssertLogitsMatch(model, folder, Tokens, tolerance: 1e-3);
        using var file = GgufFile.Open(output);
        Assert.Equal("gemma2", file.Architecture);
        Assert.Equal(30.0, file.Metadata.GetNumber("gemma2.final_logit_softcapping"));
        Assert.NotNull(file.FindTensor("blk.1.post_ffw_norm.weight"));
    }

    [Fact]
    public void Phi3WithFusedProjectionsMatchesReference()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("Phi3ForCausalLM", hidden: 256, intermediate: 512, layers: 2, heads: 4, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: false, seed: 19) { RmsEps = 1e-5 };
        // llama.cpp looks up <|endoftext|> in models whose general.name says phi3, which tok512 lacks; so another name.
        string folder = model.Write(Path.Combine(temp.Path, "synthetic-fused"), SafetensorsDataType.BF16);
        string output = AssertLogitsMatch(model, folder, Tokens);
        using var file = GgufFile.Open(output);
        Assert.Equal("phi3", file.Architecture);
        Assert.Equal([256L, 512L], file.FindTensor("blk.0.attn_qkv.weight")!.Shape);
        Assert.Equal([256L, 1024L], file.FindTensor("blk.1.ffn_up.weight")!.Shape);
        Assert.Equal(0L, file.Metadata.GetInteger("phi3.attention.sliding_window"));
        Assert.Equal(512L, file.Metadata.GetInteger("phi3.rope.scaling.original_context_length"));
    }

    [Fact]
    public void Fp8CheckpointIsDequantizedWithItsBlockScales()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("LlamaForCausalLM", hidden: 256, intermediate: 512, layers: 1, heads: 4, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: false, seed: 17);
        // Blocks of 96 leave partial blocks at the edges, which the scales must still cover.
        string folder = model.WriteFp8(Path.Combine(temp.Path, "llama-fp8"), block: 96);
        using (var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F32 }))
        {
            Assert.DoesNotContain(plan.Tensors, t => t.SourceName.EndsWith("_scale_inv"));
            Assert.Equal("F8_E4M3*scale", plan.Tensors.Single(t => t.Name == "blk.0.attn_k.weight").SourceType);
        }
        AssertLogitsMatch(model, folder, Tokens);
    }

    [Fact]
    public void CompressedTensorsInt8CheckpointIsDequantizedPerChannel()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("Qwen2ForCausalLM", hidden: 256, intermediate: 512, layers: 1, heads: 4, kvHeads: 2, vocab: 384,
            qkvBias: true, tiedEmbeddings: false, seed: 29);
        string folder = model.WriteInt8PerChannel(Path.Combine(temp.Path, "qwen2-int8"));
        AssertLogitsMatch(model, folder, [0, 17, 300, 42, 5, 258, 99]);
    }

    [Fact]
    public void F16OutputOfLlamaStaysCloseToReference()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("LlamaForCausalLM", hidden: 256, intermediate: 512, layers: 1, heads: 4, kvHeads: 1, vocab: 512,
            qkvBias: false, tiedEmbeddings: true, seed: 3);
        string folder = model.Write(Path.Combine(temp.Path, "llama-f16"), SafetensorsDataType.F16);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.Auto });
        Assert.Equal(ConversionOutputType.F16, plan.OutputType);
        GgufModelWriter.Write(plan, overwrite: false);
        using var llama = LlamaCppOracle.LoadModelWithF32Cache(plan.OutputPath);
        Assert.NotNull(llama);
        var reference = model.Reference().LastLogits(Tokens);
        var logits = llama.EvaluateAll(Tokens).AsSpan((Tokens.Length - 1) * 512, 512).ToArray();
        double scale = reference.Max(Math.Abs);
        // llama.cpp rounds activations to F16 for F16 weights, so only closeness is expected here.
        Assert.All(Enumerable.Range(0, 512), i => Assert.True(Math.Abs(logits[i] - reference[i]) <= 2e-2 * scale, $"logit {i}: {logits[i]} vs {reference[i]}"));
    }

    [Fact]
    public void Q8_0OutputEqualsGgmlQuantizationOfTheF32Conversion()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("LlamaForCausalLM", hidden: 256, intermediate: 512, layers: 1, heads: 4, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: false, seed: 5);
        string folder = model.Write(Path.Combine(temp.Path, "llama-q8"), SafetensorsDataType.BF16);
        using var f32Plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F32 });
        GgufModelWriter.Write(f32Plan, overwrite: false);
        using var q8Plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.Q8_0 });
        Assert.EndsWith("llama-q8-Q8_0.gguf", q8Plan.OutputPath);
        GgufModelWriter.Write(q8Plan, overwrite: false);

        using var f32 = GgufFile.Open(f32Plan.OutputPath);
        using var q8 = GgufFile.Open(q8Plan.OutputPath);
        Assert.Equal(7L, q8.Metadata.GetInteger("general.file_type"));
        foreach (var tensor in q8.Tensors)
        {
            var source = f32.FindTensor(tensor.Name)!;
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f32.GetTensorData(source)).ToArray();
            if (tensor.Shape.Length == 1)
            {
                Assert.Equal(GgmlType.F32, tensor.Type);
                continue;
            }
            Assert.Equal(GgmlType.Q8_0, tensor.Type);
            int rowLength = (int)tensor.Shape[0];
            byte[] expected = LlamaCppOracle.Quantize(GgmlType.Q8_0, values, values.Length / rowLength, rowLength);
            Assert.Equal(expected, q8.GetTensorData(tensor).ToArray());
        }
        Assert.True(LlamaCppOracle.CanLoadModel(q8Plan.OutputPath));
    }

    private static string AssertLogitsMatch(SyntheticHfModel model, string folder, int[] tokens, double tolerance = 1e-4)
    {
        string output;
        using (var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F32 }))
        {
            GgufModelWriter.Write(plan, overwrite: false);
            output = plan.OutputPath;
        }
        using var llama = LlamaCppOracle.LoadModelWithF32Cache(output);
        Assert.NotNull(llama);
        Assert.Equal(model.Vocab, llama.VocabularySize);
        var reference = model.Reference().LastLogits(tokens);
        var logits = llama.EvaluateAll(tokens).AsSpan((tokens.Length - 1) * model.Vocab, model.Vocab).ToArray();
        double scale = Math.Max(1, reference.Max(Math.Abs));
        for (int i = 0; i < model.Vocab; i++)
        {
            Assert.True(Math.Abs(logits[i] - reference[i]) <= tolerance * scale, $"logit {i}: {logits[i]} vs {reference[i]} (scale {scale})");
        }
        return output;
    }
}
