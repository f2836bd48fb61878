using GgufPs.Generation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

/// <summary>Invoke-TextGeneration's run on stories260K: the order of its calls, and its words.</summary>
public class TextCompletionTests
{
    private static GenerationOptions Greedy(int maxTokens) => new()
    {
        Sampling = new SamplingOptions { Greedy = true },
        MaxTokens = maxTokens,
        Threads = 2,
    };

    [Fact]
    public void HandsOnTheTextBetweenItsFirstPieceAndItsEnd()
    {
        var calls = new List<string>();
        var result = TextCompletion.Run(FixturePaths.Stories260K, "Once upon a time", Greedy(8), null,
            () => calls.Add("first"), calls.Add, () => calls.Add("end"), CancellationToken.None);
        Assert.Equal(8, result.TokenCount);
        Assert.Equal("first", calls[0]);
        Assert.Equal("end", calls[^1]);
        Assert.Equal(result.Text, string.Concat(calls.Skip(1).SkipLast(1)));
    }

    [Fact]
    public void ATextWithoutPiecesHasNoFirstPieceNorEnd()
    {
        var calls = new List<string>();
        var result = TextCompletion.Run(FixturePaths.Stories260K, "Once upon a time", Greedy(0), null,
            () => calls.Add("first"), calls.Add, () => calls.Add("end"), CancellationToken.None);
        Assert.Equal("", result.Text);
        Assert.Empty(calls);
    }

    [Fact]
    public void SaysWhatItDidInvariantly()
    {
        var result = TextCompletion.Run(FixturePaths.Stories260K, "Once upon a time", Greedy(4), null, () => { }, _ => { }, null, CancellationToken.None);
        Assert.Matches(@"^5 prompt tokens at \d+\.\d tok/s; 4 tokens at \d+\.\d tok/s; seed \d+; MaxTokens\.$", TextCompletion.Summary(result));
        Assert.Equal("The context is full after 4 tokens; give a larger -Context to generate more.", TextCompletion.ContextFull(result));
        Assert.Equal("Generating with stories260K.gguf", TextCompletion.Activity(FixturePaths.Stories260K));
    }
}
