using System.Text.Json;
using GgufPs.Conversion;
using GgufPs.Oracle;

namespace GgufPs.Tests.Conversion;

/// <summary>A Llama folder with only a fast tokenizer.json (BPE with byte fallback), as the converter's LlamaHfVocab reads it.</summary>
public class LlamaFastTokenizerTests
{
    [Fact]
    public void ByteFallbackTokenizerJsonBecomesALlamaVocabulary()
    {
        using var temp = new TempDirectory();
        string folder = Path.Combine(temp.Path, "llama-fast");
        Directory.CreateDirectory(folder);
        var vocab = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = vocab.Count;
        }
        foreach (string piece in new[] { "▁", "t", "h", "e", "▁t", "he", "▁the" })
        {
            vocab[piece] = vocab.Count;
        }
        var tokenizer = new
        {
            added_tokens = new object[]
            {
                new { id = 0, content = "<unk>", special = true, normalized = false },
                new { id = 1, content = "<s>", special = true, normalized = false },
                new { id = 2, content = "</s>", special = true, normalized = false },
                new { id = vocab.Count, content = "<|user|>", special = false, normalized = false },
            },
            normalizer = new { type = "Sequence", normalizers = new object[] { new { type = "Prepend", prepend = "▁" }, new { type = "Replace", pattern = new { String = " " }, content = "▁" } } },
            pre_tokenizer = (object?)null,
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                pair = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } }, new { Sequence = new { id = "B", type_id = 1 } } },
            },
            decoder = new { type = "Sequence", decoders = new object[] { new { type = "ByteFallback" }, new { type = "Fuse" } } },
            model = new { type = "BPE", byte_fallback = true, fuse_unk = true, unk_token = "<unk>", vocab, merges = new[] { "▁ t", "h e", "▁t he" } },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tokenizer));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": true, "add_eos_token": false}""");
        int size = vocab.Count + 1;
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new
        {
            architectures = new[] { "LlamaForCausalLM" }, hidden_size = 64, intermediate_size = 128, num_hidden_layers = 1,
            num_attention_heads = 2, vocab_size = size, bos_token_id = 1, eos_token_id = 2,
        }));

        using var plan = ModelConverter.Plan(folder, new ConversionOptions { VocabOnly = true });
        GgufModelWriter.Write(plan, overwrite: false);
        using var file = GgufFile.Open(plan.OutputPath);
        Assert.Equal("llama", file.Metadata.GetString("tokenizer.ggml.model"));
        Assert.Equal("default", file.Metadata.GetString("tokenizer.ggml.pre"));
        var tokens = file.Metadata.GetArray<string>("tokenizer.ggml.tokens")!;
        var types = file.Metadata.GetArray<int>("tokenizer.ggml.token_type")!;
        Assert.Equal(size, tokens.Length);
        Assert.Equal([3, 3, 3, 6], types[..4]);
        Assert.Equal(4, types[^1]);
        Assert.Equal("<|user|>", tokens[^1]);
        Assert.All(file.Metadata.GetArray<float>("tokenizer.ggml.scores")!, s => Assert.Equal(-1000f, s));
        Assert.Equal(1L, file.Metadata.GetInteger("tokenizer.ggml.bos_token_id"));
        Assert.True(file.Metadata.GetBool("tokenizer.ggml.add_bos_token"));
        using var model = LlamaCppOracle.LoadModel(plan.OutputPath, vocabOnly: true);
        Assert.NotNull(model);
        Assert.Equal(size, model.VocabularySize);
    }
}
