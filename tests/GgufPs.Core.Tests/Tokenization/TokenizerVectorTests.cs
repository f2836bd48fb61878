using System.Text;
using GgufPs.Oracle;
using GgufPs.Tokenization;

namespace GgufPs.Tests.Tokenization;

/// <summary>llama.cpp's test-tokenizer-0 cases for every fixture vocabulary that has them.</summary>
public class TokenizerVectorTests
{
    [Theory]
    [MemberData(nameof(VocabFixtures.WithVectors), MemberType = typeof(VocabFixtures))]
    public void TestTokenizer0CasesPass(string name)
    {
        using var file = GgufFile.Open(VocabFixtures.Path(name));
        var tokenizer = Tokenizer.FromMetadata(file.Metadata);
        var failures = new List<string>();
        foreach (var (input, expected) in VocabFixtures.Vectors(name))
        {
            int[] actual = tokenizer.Tokenize(input, addSpecial: false, parseSpecial: false);
            if (!actual.SequenceEqual(expected))
            {
                failures.Add($"'{Encoding.UTF8.GetString(input)}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(VocabFixtures.WithVectors), MemberType = typeof(VocabFixtures))]
    public void TheOracleAgreesWithTheVectors(string name)
    {
        using var model = LlamaCppOracle.LoadModel(VocabFixtures.Path(name), vocabOnly: true)!;
        var failures = new List<string>();
        foreach (var (input, expected) in VocabFixtures.Vectors(name))
        {
            int[] actual = model.TokenizeBytes(input, addSpecial: false, parseSpecial: false);
            if (!actual.SequenceEqual(expected))
            {
                failures.Add($"'{Encoding.UTF8.GetString(input)}': expected [{string.Join(' ', expected)}], oracle [{string.Join(' ', actual)}]");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
