using GgufPs.Generation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ChatConversationTextTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("   ", true)]
    [InlineData("/bye", true)]
    [InlineData(" /BYE ", true)]
    [InlineData("/bye now", false)]
    [InlineData("hello", false)]
    public void AnEmptyLineOrByeEndsTheChat(string? line, bool ends) => Assert.Equal(ends, ChatConversationText.EndsChat(line));

    [Fact]
    public void OnlyAStoppedAnswerIsMarked()
    {
        Assert.Equal(" [stopped]", ChatConversationText.AnswerEnd(StopReason.Cancelled));
        Assert.Equal("", ChatConversationText.AnswerEnd(StopReason.ContextFull));
    }
}
