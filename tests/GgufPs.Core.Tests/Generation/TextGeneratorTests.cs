using System.Text;
using GgufPs.Generation;
using GgufPs.Inference;

namespace GgufPs.Tests.Generation;

/// <summary>The generator's contract on stories260K: text, tokens, stop reasons, stop strings, seeds and cancellation.</summary>
public class TextGeneratorTests
{
    private static GenerationOptions Greedy(int maxTokens = 40, int? context = null, params string[] stop) => new()
    {
        Sampling = new SamplingOptions { Greedy = true },
        MaxTokens = maxTokens,
        Context = context,
        StopStrings = stop,
        Threads = 2,
    };

    [Fact]
    public void PromptAndTextReadAsTheWholeDetokenizedSequence()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var pieces = new List<string>();
        var result = new TextGenerator(model, Greedy()).Generate("Once upon a time", pieces.Add);
        Assert.Equal(StopReason.MaxTokens, result.StopReason);
        Assert.Equal(40, result.TokenCount);
        Assert.Equal(5, result.PromptTokenCount);
        Assert.StartsWith(", there was a little girl named Lily.", result.Text);
        Assert.Equal(result.Text, string.Concat(pieces));
        // llama_detokenize of the tokens after BOS drops the space SentencePiece put in front.
        int[] all = [.. model.Tokenizer.Tokenize(result.Prompt).Skip(1), .. result.Tokens];
        Assert.Equal(model.Tokenizer.DetokenizeToString(all), result.Prompt + result.Text);
        Assert.Equal("stories260K.gguf", result.Model);
        Assert.True(result.TokensPerSecond > 0 && result.PromptTokensPerSecond > 0 && result.Seconds > 0);
        Assert.Equal(result.Text, result.ToString());
    }

    [Fact]
    public void NoTokensAreGeneratedWithAMaximumOfZero()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var result = new TextGenerator(model, Greedy(0)).Generate("Once upon a time");
        Assert.Equal(StopReason.MaxTokens, result.StopReason);
        Assert.Empty(result.Tokens);
        Assert.Equal("", result.Text);
    }

    [Fact]
    public void AnEmptyPromptStartsFromBos()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var result = new TextGenerator(model, Greedy(8)).Generate("");
        Assert.Equal(1, result.PromptTokenCount);
        Assert.StartsWith(" Once upon a time", result.Text);
    }

    [Fact]
    public void AStopStringEndsTheTextBeforeIt()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var pieces = new List<string>();
        var result = new TextGenerator(model, Greedy(100, null, " Lily", "zzz")).Generate("Once upon a time", pieces.Add);
        Assert.Equal(StopReason.Stop, result.StopReason);
        Assert.Equal(" Lily", result.StopString);
        Assert.Equal(", there was a little girl named", result.Text);
        Assert.Equal(result.Text, string.Concat(pieces));
        Assert.True(result.TokenCount < 100);
    }

    [Fact]
    public void TheEndOfGenerationTokenStopsAndIsLeftOut()
    {
        using var model = TransformerModel.Open(Stories260KGeneration.WithStoryEnd);
        var result = new TextGenerator(model, Greedy(-1)).Generate("Once upon a time");
        Assert.Equal(StopReason.EndOfGeneration, result.StopReason);
        Assert.DoesNotContain(1, result.Tokens);
        Assert.Matches("[.!?\"]$", result.Text);

        var ignoring = new TextGenerator(model, new GenerationOptions
        {
            Sampling = new SamplingOptions { Greedy = true },
            MaxTokens = result.TokenCount + 30,
            IgnoreEos = true,
            Threads = 2,
        }).Generate("Once upon a time");
        Assert.Equal(StopReason.MaxTokens, ignoring.StopReason);
        Assert.DoesNotContain(1, ignoring.Tokens);
        Assert.Equal(result.Tokens, ignoring.Tokens.Take(result.TokenCount));
        Assert.StartsWith(result.Text, ignoring.Text);
    }

    [Fact]
    public void AFullContextStopsAfterTheLastTokenItCanHold()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var result = new TextGenerator(model, Greedy(100, context: 12)).Generate("Once upon a time");
        Assert.Equal(StopReason.ContextFull, result.StopReason);
        // 12 positions: 5 prompt tokens and 7 generated ones evaluated; the 8th is sampled from the last logits.
        Assert.Equal(12 - result.PromptTokenCount + 1, result.TokenCount);
    }

    [Fact]
    public void TheContextFitsPromptAndTokensWhenNotGiven()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var result = new TextGenerator(model, Greedy(30)).Generate("Once upon a time");
        Assert.Equal(30, result.TokenCount);
        Assert.Equal(StopReason.MaxTokens, result.StopReason);
    }

    [Fact]
    public void APromptLongerThanTheContextIsRefused()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var error = Assert.Throws<ArgumentException>(() => new TextGenerator(model, Greedy(10, context: 3)).Generate("Once upon a time"));
        Assert.Contains("context of 3", error.Message);
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        Assert.Throws<ArgumentException>(() => new TextGenerator(model, new GenerationOptions { MaxTokens = -2 }));
        Assert.Throws<ArgumentException>(() => new TextGenerator(model, new GenerationOptions { Context = 0 }));
        Assert.Throws<ArgumentException>(() => new TextGenerator(model, new GenerationOptions { Sampling = new SamplingOptions { Temperature = float.NaN } }).Generate("x"));
    }

    [Fact]
    public void TheSeedIsReportedAndRepeatsTheText()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var first = new TextGenerator(model, new GenerationOptions { MaxTokens = 30, Threads = 2 }).Generate("Lily and Tom");
        Assert.NotEqual(SamplingOptions.RandomSeed, first.Seed);
        var again = new TextGenerator(model, new GenerationOptions { MaxTokens = 30, Threads = 2, Sampling = new SamplingOptions { Seed = first.Seed } })
            .Generate("Lily and Tom");
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Equal(first.Text, again.Text);
    }

    [Fact]
    public void CancellationReturnsWhatWasGenerated()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var cancel = new CancellationTokenSource();
        var pieces = new List<string>();
        var result = new TextGenerator(model, Greedy(200)).Generate("Once upon a time", piece =>
        {
            pieces.Add(piece);
            if (pieces.Count == 5)
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        Assert.Equal(StopReason.Cancelled, result.StopReason);
        Assert.Equal(5, result.TokenCount);
        Assert.Equal(string.Concat(pieces), result.Text);

        cancel.TryReset();
        using var before = new CancellationTokenSource();
        before.Cancel();
        var none = new TextGenerator(model, Greedy(200)).Generate("Once upon a time", null, before.Token);
        Assert.Equal(StopReason.Cancelled, none.StopReason);
        Assert.Empty(none.Tokens);
    }

    [Fact]
    public void PiecesAreWholeCharactersAtAnyTemperature()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        var pieces = new List<string>();
        var result = new TextGenerator(model, new GenerationOptions
        {
            Sampling = new SamplingOptions { Seed = 7, Temperature = 8f, TopK = 0, TopP = 1f, MinP = 0f },
            MaxTokens = 300,
            Threads = 2,
        }).Generate("Once", pieces.Add);
        Assert.Contains(result.Tokens, t => (model.Tokenizer.GetAttributes(t) & GgufPs.Tokenization.TokenAttributes.Byte) != 0);
        foreach (string piece in pieces)
        {
            for (int i = 0; i < piece.Length; i++)
            {
                Assert.False(char.IsHighSurrogate(piece[i]) && (i + 1 == piece.Length || !char.IsLowSurrogate(piece[i + 1])), $"'{piece}' splits a character");
                Assert.False(char.IsLowSurrogate(piece[i]) && (i == 0 || !char.IsHighSurrogate(piece[i - 1])), $"'{piece}' splits a character");
            }
        }
        byte[] bytes = result.Tokens.SelectMany(t => model.Tokenizer.TokenToPiece(t, special: false)).ToArray();
        Assert.Equal(new UTF8Encoding(false, false).GetString(bytes), result.Text);
    }
}
