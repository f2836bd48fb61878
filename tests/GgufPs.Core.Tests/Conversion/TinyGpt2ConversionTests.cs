using GgufPs.Conversion;
using GgufPs.Oracle;

namespace GgufPs.Tests.Conversion;

/// <summary>sshleifer/tiny-gpt2 (F32 safetensors, GPT-2 byte-level BPE in tokenizer.json) converted and read by llama.cpp.</summary>
public class TinyGpt2ConversionTests
{
    [Fact]
    public void ConvertsLoadsAndTokenizesLikeLlamaCppTestVectors()
    {
        using var temp = new TempDirectory();
        string folder = ConversionFixtures.TinyGpt2(temp);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.Auto });
        Assert.Equal(ConversionOutputType.F32, plan.OutputType);
        Assert.Equal("gpt2", plan.Architecture);
        // Conv1D weights are transposed; wpe keeps its F32 type.
        var qkv = plan.Tensors.Single(t => t.Name == "blk.0.attn_qkv.weight");
        Assert.Equal(TensorTransform.Transpose, qkv.Transform);
        Assert.Equal([2L, 6L], qkv.Shape);
        GgufModelWriter.Write(plan, overwrite: false);

        var snapshot = LlamaCppOracle.ReadGguf(plan.OutputPath)!;
        var values = snapshot.Entries.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("gpt-2", values["tokenizer.ggml.pre"]);
        Assert.Equal(50000, ((string[])values["tokenizer.ggml.merges"]).Length);
        Assert.Equal(50256u, values["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(50256u, values["tokenizer.ggml.unknown_token_id"]);
        Assert.Equal(false, values["tokenizer.ggml.add_bos_token"]);
        Assert.Equal(8u, values["gpt2.feed_forward_length"]);

        // Its 2-wide embeddings give 1-wide heads, which llama.cpp's graph cannot multiply; loading checks every tensor's shape.
        Assert.True(LlamaCppOracle.CanLoadModel(plan.OutputPath));

        using var vocab = LlamaCppOracle.LoadModel(plan.OutputPath, vocabOnly: true);
        Assert.NotNull(vocab);
        string inputs = File.ReadAllText(FixturePaths.Get("vocab", "ggml-vocab-gpt-2.gguf.inp"));
        string[] expected = File.ReadAllLines(FixturePaths.Get("vocab", "ggml-vocab-gpt-2.gguf.out"));
        string[] texts = inputs.Split("\n__ggml_vocab_test__\n");
        Assert.True(expected.Length >= 40);
        for (int i = 0; i < expected.Length; i++)
        {
            int[] want = expected[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Assert.Equal(want, vocab.Tokenize(texts[i], addSpecial: false, parseSpecial: false));
        }
    }

    [Fact]
    public void Gpt2TransposedWeightsAreExact()
    {
        using var temp = new TempDirectory();
        string folder = ConversionFixtures.TinyGpt2(temp);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F32, OutputPath = temp.File("g.gguf") });
        GgufModelWriter.Write(plan, overwrite: false);
        using var source = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        using var gguf = GgufFile.Open(plan.OutputPath);
        var fc = source.Tensors.Single(t => t.Name == "transformer.h.1.mlp.c_fc.weight");
        float[] input = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source.GetData(fc, 0, (int)fc.ByteLength)).ToArray();
        float[] output = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(gguf.GetTensorData(gguf.FindTensor("blk.1.ffn_up.weight")!)).ToArray();
        // Source [in 2, out 8]; GGUF rows are the 8 outputs, each of length 2.
        for (int o = 0; o < 8; o++)
        {
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(input[i * 8 + o], output[o * 2 + i]);
            }
        }
        Assert.Equal(GgmlType.F32, gguf.FindTensor("position_embd.weight")!.Type);
    }
}
