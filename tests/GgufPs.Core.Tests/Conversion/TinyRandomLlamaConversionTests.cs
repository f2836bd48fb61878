using System.Text.Json;
using GgufPs.Conversion;
using GgufPs.Oracle;

namespace GgufPs.Tests.Conversion;

/// <summary>stas/tiny-random-llama-2 (BF16 safetensors, Llama-2 SentencePiece) converted and run by llama.cpp.</summary>
public class TinyRandomLlamaConversionTests
{
    [Fact]
    public void LogitsMatchTransformersReference()
    {
        using var temp = new TempDirectory();
        string folder = ConversionFixtures.TinyRandomLlama(temp);
        var warnings = new List<string>();
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F32 }, warnings.Add);
        Assert.Equal(Path.Combine(temp.Path, "tiny-random-llama-2-hf-F32.gguf"), plan.OutputPath);
        Assert.Contains(warnings, w => w.Contains("32000 pieces") && w.Contains("3000"));
        GgufModelWriter.Write(plan, overwrite: false);

        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference_cases.lunaflux.json")));
        double atol = reference.RootElement.GetProperty("logit_tolerance").GetProperty("absolute").GetDouble();
        double rtol = reference.RootElement.GetProperty("logit_tolerance").GetProperty("relative").GetDouble();
        using var model = LlamaCppOracle.LoadModelWithF32Cache(plan.OutputPath);
        Assert.NotNull(model);
        Assert.Equal(3000, model.VocabularySize);
        foreach (var testCase in reference.RootElement.GetProperty("model_cases").EnumerateArray())
        {
            int[] ids = testCase.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] logits = model.EvaluateAll(ids);
            var last = logits.AsSpan((ids.Length - 1) * model.VocabularySize, model.VocabularySize);
            foreach (var p in testCase.GetProperty("sampled_logits").EnumerateObject())
            {
                double want = p.Value.GetDouble();
                double got = last[int.Parse(p.Name)];
                Assert.True(Math.Abs(got - want) <= atol + rtol * Math.Abs(want), $"input [{string.Join(",", ids)}] token {p.Name}: {got} vs {want}");
            }
            int argmax = 0;
            for (int i = 1; i < last.Length; i++)
            {
                if (last[i] > last[argmax]) argmax = i;
            }
            Assert.Equal(testCase.GetProperty("greedy_token").GetInt32(), argmax);
        }
    }

    [Fact]
    public void MetadataIsWhatTheHfConverterWrites()
    {
        using var temp = new TempDirectory();
        string folder = ConversionFixtures.TinyRandomLlama(temp);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.Auto });
        Assert.Equal(ConversionOutputType.BF16, plan.OutputType);
        using (var intoFolder = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.Auto, OutputPath = temp.Path }))
        {
            // A folder as -OutputPath gets convert_hf_to_gguf.py's name: basename, size label, finetune, type.
            Assert.Equal(Path.Combine(temp.Path, "Llama-2-104K-7b-hf-BF16.gguf"), intoFolder.OutputPath);
        }
        GgufModelWriter.Write(plan, overwrite: false);
        var snapshot = LlamaCppOracle.ReadGguf(plan.OutputPath)!;
        var values = snapshot.Entries.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal(
        [
            "general.architecture", "general.type", "general.name", "general.organization", "general.finetune", "general.basename",
            "general.size_label", "llama.block_count", "llama.context_length", "llama.embedding_length", "llama.feed_forward_length",
            "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
            "general.file_type", "llama.vocab_size", "llama.rope.dimension_count", "general.quantization_version",
            "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
            "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        ], snapshot.Entries.Select(e => e.Key));
        Assert.Equal("Llama 2 7b Hf", values["general.name"]);
        Assert.Equal("Meta Llama", values["general.organization"]);
        Assert.Equal("7b-hf", values["general.finetune"]);
        Assert.Equal("Llama-2", values["general.basename"]);
        Assert.Equal("104K", values["general.size_label"]);
        Assert.Equal(32u, values["general.file_type"]);
        Assert.Equal(3000, ((string[])values["tokenizer.ggml.tokens"]).Length);
        Assert.Equal(4u, values["llama.rope.dimension_count"]);
        Assert.All(snapshot.Tensors, t => Assert.Equal(t.Name.EndsWith("norm.weight") ? 0 : 30, t.Type));
        // BF16 weights are copied bit for bit.
        using var source = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        using var gguf = GgufFile.Open(plan.OutputPath);
        var v = source.Tensors.Single(t => t.Name == "model.layers.0.self_attn.v_proj.weight");
        Assert.Equal(source.GetData(v, 0, (int)v.ByteLength).ToArray(), gguf.GetTensorData(gguf.FindTensor("blk.0.attn_v.weight")!).ToArray());
    }
}
