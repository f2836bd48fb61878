using GgufPs.Generation;
using GgufPs.Inference;

namespace GgufPs.Tests.Generation;

/// <summary>A chat on stories260K with the chatml template: turns, the KV cache carried across them, and its limits.</summary>
public class ChatSessionTests
{
    private static GenerationOptions Options(int maxTokens = 12, int? context = null) => new()
    {
        Sampling = new SamplingOptions { Greedy = true },
        MaxTokens = maxTokens,
        Context = context,
        Threads = 2,
    };

    [Fact]
    public void EachTurnEvaluatesOnlyWhatTheCacheLacks()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var chat = new ChatSession(model, ChatTemplate.Get("chatml"), Options(), "You tell stories.");
        var first = chat.Respond("Tell me a story.");
        Assert.Equal(0, first.CachedPromptTokenCount);
        Assert.Equal(12, first.TokenCount);
        Assert.Equal(first.PromptTokenCount + first.TokenCount - 1, chat.CachedTokenCount);

        var second = chat.Respond("And then?");
        Assert.True(second.CachedPromptTokenCount >= first.PromptTokenCount,
            $"{second.CachedPromptTokenCount} of {second.PromptTokenCount} prompt tokens came from the cache; the first prompt had {first.PromptTokenCount}");
        Assert.Equal(second.PromptTokenCount + second.TokenCount - 1, chat.CachedTokenCount);
        Assert.Equal(
            ["system", "user", "assistant", "user", "assistant"],
            chat.Messages.Select(m => m.Role));
        Assert.Equal(first.Text, chat.Messages[2].Content);
        Assert.Equal(ChatTemplate.Get("chatml").Apply(chat.Messages.Take(4).ToList(), addAssistant: true), second.Prompt);
        Assert.Equal("chatml", chat.TemplateName);
    }

    [Fact]
    public void AnswersFromTheCacheAreThoseOfAFreshEvaluation()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var chat = new ChatSession(model, ChatTemplate.Get("chatml"), Options());
        chat.Respond("Once upon a time");
        var cached = chat.Respond("What happened next?");
        var fresh = new TextGenerator(model, Options()).Generate(cached.Prompt);
        Assert.True(cached.CachedPromptTokenCount > 0);
        Assert.Equal(fresh.Tokens, cached.Tokens);
    }

    [Fact]
    public void ConversationBeyondTheContextIsRefusedAndLeftAsItWas()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var chat = new ChatSession(model, ChatTemplate.Get("chatml"), Options(maxTokens: 40, context: 48));
        var first = chat.Respond("Hi");
        Assert.Equal(StopReason.ContextFull, first.StopReason);
        var error = Assert.Throws<InvalidOperationException>(() => chat.Respond("Tell me more about the little girl and her dog."));
        Assert.Contains("context of 48", error.Message);
        Assert.Equal(2, chat.Messages.Count);
    }

    [Fact]
    public void ACancelledAnswerKeepsWhatWasGenerated()
    {
        using var model = TransformerModel.Open(FixturePaths.Stories260K);
        using var chat = new ChatSession(model, ChatTemplate.Get("chatml"), Options(maxTokens: 50));
        using var cancel = new CancellationTokenSource();
        int pieces = 0;
        var result = chat.Respond("Tell me a story.", _ =>
        {
            if (++pieces == 3)
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        Assert.Equal(StopReason.Cancelled, result.StopReason);
        Assert.Equal(result.Text, chat.Messages[^1].Content);
        var next = chat.Respond("Go on.");
        Assert.True(next.CachedPromptTokenCount > 0);
    }
}
