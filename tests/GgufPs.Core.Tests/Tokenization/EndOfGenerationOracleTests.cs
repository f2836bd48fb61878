using GgufPs.Oracle;
using GgufPs.Tokenization;

namespace GgufPs.Tests.Tokenization;

/// <summary>Which tokens end a generation, against llama.cpp's llama_vocab_is_eog, on every fixture vocabulary.</summary>
public class EndOfGenerationOracleTests
{
    public static IEnumerable<object[]> Vocabularies => VocabFixtures.Supported;

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void EveryTokenIsEndOfGenerationAsInLlamaCpp(string name)
    {
        string path = VocabFixtures.Path(name);
        using var file = GgufFile.Open(path);
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
        var expected = Enumerable.Range(0, tokenizer.VocabularySize).Where(id => LlamaNative.llama_vocab_is_eog(model.Vocab, id) != 0).ToArray();
        var actual = Enumerable.Range(0, tokenizer.VocabularySize).Where(tokenizer.IsEndOfGeneration).ToArray();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }
}
