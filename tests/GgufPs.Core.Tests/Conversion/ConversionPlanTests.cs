using System.Text.Json;
using GgufPs.Conversion;

namespace GgufPs.Tests.Conversion;

/// <summary>Planning details: the RoPE permutation, pre-tokenizer names, vocabulary fitting, sharded folders, output names.</summary>
public class ConversionPlanTests
{
    [Fact]
    public void RopePermutationInterleavesTheTwoHalvesOfEachHead()
    {
        // Two heads of 6 rows: Hugging Face's halves (0,1,2 | 3,4,5) become ggml's pairs (0,3,1,4,2,5).
        Assert.Equal([0L, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11], Enumerable.Range(0, 12).Select(r => TensorDataConverter.PermutedSourceRow(r, 6)));
    }

    [Theory]
    [InlineData("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""", "gpt-2")]
    [InlineData("""{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]}""", "llama-bpe")]
    [InlineData("""{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "use_regex": true}]}""", "starcoder")]
    public void MapsPreTokenizersToLlamaCppNames(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(name, BpePreTokenizerNames.Resolve(document.RootElement, "tokenizer.json"));
    }

    [Fact]
    public void NamesTheUnknownPreTokenizer()
    {
        using var document = JsonDocument.Parse("""{"type": "Split", "pattern": {"Regex": "\\w+"}}""");
        var ex = Assert.Throws<NotSupportedException>(() => BpePreTokenizerNames.Resolve(document.RootElement, "tokenizer.json"));
        Assert.Contains(@"\w+", ex.Message);
        Assert.Contains("llama-bpe", ex.Message);
    }

    [Fact]
    public void PadsAShortSentencePieceVocabulary()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("LlamaForCausalLM", hidden: 64, intermediate: 128, layers: 1, heads: 2, kvHeads: 2, vocab: 520,
            qkvBias: false, tiedEmbeddings: true, seed: 1);
        string folder = model.Write(Path.Combine(temp.Path, "padded"), SafetensorsDataType.F32);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { VocabOnly = true });
        Assert.Empty(plan.Tensors);
        Assert.EndsWith("padded-vocab.gguf", plan.OutputPath);
        var tokens = (string[])plan.Metadata.Single(e => e.Key == "tokenizer.ggml.tokens").Value;
        Assert.Equal(520, tokens.Length);
        Assert.Equal("[PAD515]", tokens[515]);
        Assert.Equal(5, ((int[])plan.Metadata.Single(e => e.Key == "tokenizer.ggml.token_type").Value)[519]);
        Assert.DoesNotContain(plan.Metadata, e => e.Key == "general.size_label");
    }

    [Fact]
    public void ShardsMustMatchTheirIndex()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("LlamaForCausalLM", hidden: 64, intermediate: 128, layers: 1, heads: 2, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: true, seed: 2);
        string folder = model.Write(Path.Combine(temp.Path, "sharded"), SafetensorsDataType.F32, shards: 2);
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        Assert.Contains("model-00002-of-00002.safetensors", Assert.Throws<FileNotFoundException>(() => ModelConverter.Plan(folder, new ConversionOptions())).Message);
        string index = Path.Combine(folder, "model.safetensors.index.json");
        File.WriteAllText(index, """{"weight_map": {"model.norm.weight": "model-00001-of-00002.safetensors"}}""");
        Assert.Contains("disagree", Assert.Throws<ModelFormatException>(() => ModelConverter.Plan(folder, new ConversionOptions())).Message);
    }

    [Fact]
    public void Phi3LongRopeFactorsBecomeTensorsAndAnAttentionFactor()
    {
        using var temp = new TempDirectory();
        var model = new SyntheticHfModel("Phi3ForCausalLM", hidden: 64, intermediate: 128, layers: 1, heads: 2, kvHeads: 2, vocab: 512,
            qkvBias: false, tiedEmbeddings: false, seed: 4);
        string folder = model.Write(Path.Combine(temp.Path, "long"), SafetensorsDataType.F32);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["max_position_embeddings"] = 4096;
        var longFactors = Enumerable.Range(0, 16).Select(i => 1.0 + i).ToArray();
        var shortFactors = Enumerable.Range(0, 16).Select(i => 1.0 + i / 10.0).ToArray();
        config["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(new { type = "longrope", long_factor = longFactors, short_factor = shortFactors }));
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        using var plan = ModelConverter.Plan(folder, new ConversionOptions());
        Assert.Equal(["general.architecture", "phi3.rope.scaling.attn_factor", "general.type"], plan.Metadata.Take(3).Select(e => e.Key));
        Assert.Equal((float)Math.Sqrt(1 + Math.Log(8) / Math.Log(512)), (float)plan.Metadata[1].Value);
        Assert.Equal(["rope_factors_long.weight", "rope_factors_short.weight"], plan.Tensors.Take(2).Select(t => t.Name));
        Assert.All(plan.Tensors.Take(2), t => Assert.Equal(GgmlType.F32, t.Type));
        GgufModelWriter.Write(plan, overwrite: false);
        using var file = GgufFile.Open(plan.OutputPath);
        Assert.Equal(longFactors.Select(v => (float)v), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.GetTensorData(file.FindTensor("rope_factors_long.weight")!)).ToArray());
        Assert.True(Oracle.LlamaCppOracle.CanLoadModel(plan.OutputPath));
    }

    [Fact]
    public void ProgressGrowsToTheTotalAndEndsWithTheLastTensor()
    {
        using var temp = new TempDirectory();
        string folder = ConversionFixtures.TinyRandomLlama(temp);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = ConversionOutputType.F32 });
        var reports = new List<ConversionProgress>();
        GgufModelWriter.Write(plan, overwrite: false, new CollectingProgress(reports));
        long total = plan.Tensors.Sum(t => t.ByteSize);
        Assert.All(reports, r => Assert.Equal(total, r.TotalBytes));
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesWritten <= p.Second.BytesWritten));
        Assert.Equal(plan.Tensors.Count, reports[^1].TensorIndex);
        Assert.Equal(total, reports[^1].BytesWritten);
        Assert.Equal(plan.Tensors.Select(t => t.Name), reports.Where(r => r.TensorIndex < plan.Tensors.Count).Select(r => r.TensorName).Distinct());
    }

    [Fact]
    public void CancellingLeavesNoOutputBehind()
    {
        using var temp = new TempDirectory();
        string folder = ConversionFixtures.TinyRandomLlama(temp);
        using var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputPath = temp.File("cancelled.gguf") });
        using var cancel = new CancellationTokenSource();
        var progress = new CollectingProgress([], afterReports: 3, cancel);
        Assert.ThrowsAny<OperationCanceledException>(() => GgufModelWriter.Write(plan, overwrite: false, progress, cancel.Token));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "cancelled.gguf*"));
    }

    private sealed class CollectingProgress(List<ConversionProgress> reports, int afterReports = int.MaxValue, CancellationTokenSource? cancel = null)
        : IProgress<ConversionProgress>
    {
        public void Report(ConversionProgress value)
        {
            reports.Add(value);
            if (reports.Count >= afterReports)
            {
                cancel?.Cancel();
            }
        }
    }
}
