using GgufPs.Generation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

/// <summary>Enter-Chat's conversation on stories260K: what ends it, and each answer's end mark.</summary>
public class ChatConversationTests
{
    private static GenerationOptions Options(int maxTokens = 6, int? context = null) => new()
    {
        Sampling = new SamplingOptions { Greedy = true, Seed = 7 },
        MaxTokens = maxTokens,
        Context = context,
        Threads = 1,
    };

    private static ChatConversation Open(GenerationOptions options) =>
        ChatConversation.Open(FixturePaths.Stories260K, ChatTemplate.Get("chatml"), options, "You tell stories.", null);

    [Fact]
    public void GreetsWithTheModelTemplateContextAndSeed()
    {
        using var chat = Open(Options(context: 64));
        Assert.Equal(ChatConversationText.Greeting(FixturePaths.Stories260K, "chatml", 64, 7), chat.Greeting);
        Assert.False(chat.Ended);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("/bye")]
    [InlineData(" /BYE ")]
    public void AnEmptyLineByeOrTheEndOfInputEndsTheChat(string? line)
    {
        using var chat = Open(Options());
        Assert.False(chat.Takes(line));
        Assert.True(chat.Ended);
        Assert.False(chat.Takes("Hello"));
    }

    [Fact]
    public void AnswersStreamTheirTextAndEndTheLine()
    {
        using var chat = Open(Options());
        Assert.True(chat.Takes("Tell me a story."));
        var pieces = new List<string>();
        var ends = new List<string>();
        var reply = chat.Respond("Tell me a story.", pieces.Add, ends.Add, CancellationToken.None);
        Assert.Equal(reply.Text, string.Concat(pieces));
        Assert.Equal([""], ends);
        Assert.False(chat.Ended);
    }

    [Fact]
    public void AStoppedAnswerIsMarked()
    {
        using var chat = Open(Options());
        using var stop = new CancellationTokenSource();
        var ends = new List<string>();
        var reply = chat.Respond("Tell me a story.", _ => stop.Cancel(), ends.Add, stop.Token);
        Assert.Equal(StopReason.Cancelled, reply.StopReason);
        Assert.Equal([" [stopped]"], ends);
    }

    [Fact]
    public void AConversationThatOutgrowsTheContextEnds()
    {
        using var chat = Open(Options(context: 32));
        Assert.Throws<InvalidOperationException>(() => chat.Respond("Tell me more about the little girl and her dog.", _ => { }, _ => { }, CancellationToken.None));
        Assert.True(chat.Ended);
    }
}
