using GgufPs.Conversion;

namespace GgufPs.Tests.Conversion;

/// <summary>gguf-py's naming heuristics; expected values computed with gguf-py's own functions.</summary>
public class ModelNamingTests
{
    [Theory]
    [InlineData("meta-llama/Llama-2-7b-hf", 104272L, "Llama-2-7b-hf", "meta-llama", "Llama-2", "7b-hf", null, null)]
    [InlineData("mistralai/Mistral-7B-Instruct-v0.2", 7241732096L, "Mistral-7B-Instruct-v0.2", "mistralai", "Mistral", "Instruct", "v0.2", "7B")]
    [InlineData("Qwen/Qwen2.5-0.5B-Instruct", 494032768L, "Qwen2.5-0.5B-Instruct", "Qwen", "Qwen2.5", "Instruct", null, "0.5B")]
    [InlineData("tiny-random-llama-2-hf", 104272L, "tiny-random-llama-2-hf", null, null, null, null, null)]
    [InlineData("TinyLlama-1.1B-Chat-v1.0", 1100048384L, "TinyLlama-1.1B-Chat-v1.0", null, "TinyLlama", "Chat", "v1.0", "1.1B")]
    [InlineData("bigscience/bloom-7b1", 7069016064L, "bloom-7b1", "bigscience", "bloom", null, null, "7.1B")]
    [InlineData("mistralai/Mixtral-8x7B-v0.1", 46702792704L, "Mixtral-8x7B-v0.1", "mistralai", "Mixtral", null, "v0.1", "8x7B")]
    [InlineData("openai-community/gpt2-xl", 1557611200L, "gpt2-xl", "openai-community", "gpt2", null, null, "xl")]
    public void ComponentsMatchGgufPy(string id, long parameters, string fullName, string? organization, string? basename, string? finetune, string? version, string? sizeLabel)
    {
        Assert.Equal(new ModelIdComponents(fullName, organization, basename, finetune, version, sizeLabel), ModelNaming.GetComponents(id, parameters));
    }

    [Theory]
    [InlineData("Llama-2-7b-hf", "Llama 2 7b Hf")]
    [InlineData("Mistral-7B-Instruct-v0.2", "Mistral 7B Instruct v0.2")]
    [InlineData("bloom-7b1", "Bloom 7b1")]
    [InlineData("gpt2-xl", "Gpt2 Xl")]
    [InlineData("meta-llama", "Meta Llama")]
    public void TitlesMatchGgufPy(string id, string title) => Assert.Equal(title, ModelNaming.IdToTitle(id));

    [Theory]
    [InlineData(104272L, "104K")]
    [InlineData(1100048384L, "1.1B")]
    [InlineData(7241732096L, "7.2B")]
    [InlineData(35000000L, "35M")]
    [InlineData(999L, "1.0K")]
    [InlineData(494032768L, "494M")]
    [InlineData(46702792704L, "47B")]
    public void SizeLabelsMatchGgufPy(long parameters, string label) => Assert.Equal(label, ModelNaming.SizeLabel(parameters));

    [Fact]
    public void TemplatesTakeTheOutputTypeInEitherCase() =>
        Assert.Equal("m-q8_0-Q8_0-q8_0-Q8_0.gguf", ModelNaming.FillTemplate("m-{ftype}-{OUTTYPE}-{outtype}-{FTYPE}.gguf", "Q8_0"));
}
