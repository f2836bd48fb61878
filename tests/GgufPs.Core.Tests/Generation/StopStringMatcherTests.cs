using GgufPs.Generation;

namespace GgufPs.Tests.Generation;

/// <summary>Stop strings as llama-server applies them: cut before the first, hold back what could start one.</summary>
public class StopStringMatcherTests
{
    [Fact]
    public void WithoutStopStringsEveryPieceIsShownAtOnce()
    {
        var matcher = new StopStringMatcher([]);
        Assert.Equal(" Once", matcher.Append(" Once"));
        Assert.Equal(" upon", matcher.Append(" upon"));
        Assert.Equal("", matcher.Flush());
        Assert.Null(matcher.Found);
        Assert.Equal(" Once upon", matcher.Text);
    }

    [Fact]
    public void TheTextEndsWhereTheStopStringBegins()
    {
        var matcher = new StopStringMatcher(["\n\n"]);
        Assert.Equal(" The end.", matcher.Append(" The end."));
        Assert.Equal("", matcher.Append("\n"));
        Assert.Equal("", matcher.Append("\nOnce"));
        Assert.Equal("\n\n", matcher.Found);
        Assert.Equal(" The end.", matcher.Text);
        Assert.Throws<InvalidOperationException>(() => matcher.Append("more"));
    }

    [Fact]
    public void AStopStringInsideOnePieceCutsIt()
    {
        var matcher = new StopStringMatcher(["User:"]);
        Assert.Equal(" Hi", matcher.Append(" HiUser: x"));
        Assert.Equal("User:", matcher.Found);
        Assert.Equal(" Hi", matcher.Text);
    }

    [Fact]
    public void TextThatCouldStartAStopStringIsHeldUntilItCannot()
    {
        var matcher = new StopStringMatcher(["User:"]);
        Assert.Equal(" Wait ", matcher.Append(" Wait Us"));
        Assert.Equal("Usually", matcher.Append("ually"));
        Assert.Equal(" ", matcher.Append(" Use"));
        Assert.Equal("Use", matcher.Flush());
        Assert.Null(matcher.Found);
        Assert.Equal(" Wait Usually Use", matcher.Text);
    }

    [Fact]
    public void HeldTextComesOutAtTheEnd()
    {
        var matcher = new StopStringMatcher(["###"]);
        Assert.Equal("a", matcher.Append("a##"));
        Assert.Equal("##", matcher.Flush());
        Assert.Equal("a##", matcher.Text);
    }

    [Fact]
    public void TheEarliestOfSeveralStopStringsWins()
    {
        var matcher = new StopStringMatcher(["dog", "cat", ""]);
        Assert.Equal("a ", matcher.Append("a cat and a dog"));
        Assert.Equal("cat", matcher.Found);
        Assert.Equal("a ", matcher.Text);
    }

    [Fact]
    public void AStopStringSpreadOverPiecesIsFound()
    {
        var matcher = new StopStringMatcher(["<|end|>"]);
        string shown = matcher.Append(" ok<|") + matcher.Append("en") + matcher.Append("d|> after");
        Assert.Equal(" ok", shown);
        Assert.Equal("<|end|>", matcher.Found);
        Assert.Equal(" ok", matcher.Text);
    }
}
