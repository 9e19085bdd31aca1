// StopStringMatcher: whatever the split of the text into pieces, the emitted text is exactly the text before the
// first stop string, and no piece ever shows part of a stop string that later matches.
using DyCoke.Server.Mapping;
using Xunit;

namespace DyCoke.Server.Tests.Mapping;

public sealed class StopStringMatcherTests
{
    private static (string Emitted, List<string> Pieces, StopStringMatcher Matcher) Run(string[] stops, IEnumerable<string> pieces)
    {
        var matcher = new StopStringMatcher(stops);
        var emitted = new List<string>();
        foreach (var piece in pieces)
        {
            emitted.Add(matcher.Push(piece));
            if (matcher.Stopped) break;
        }
        emitted.Add(matcher.Flush());
        return (string.Concat(emitted), emitted, matcher);
    }

    [Theory]
    [InlineData("hello END world", "hello ")]
    [InlineData("no stop here", "no stop here")]
    [InlineData("ENDing", "")]
    [InlineData("almost EN", "almost EN")]
    public void Push_EverySplit_EmitsTextBeforeTheFirstStop(string text, string expected)
    {
        for (int size = 1; size <= text.Length; size++)
        {
            var pieces = Enumerable.Range(0, (text.Length + size - 1) / size).Select(i => text.Substring(i * size, Math.Min(size, text.Length - i * size)));
            var (emitted, chunks, matcher) = Run(["END"], pieces);
            Assert.Equal(expected, emitted);
            Assert.Equal(text.Contains("END"), matcher.Stopped);
            Assert.All(chunks, c => Assert.DoesNotContain("END", c));
        }
    }

    [Fact]
    public void Push_PartialMatch_HeldBackUntilDecided()
    {
        var matcher = new StopStringMatcher(["</s>"]);
        Assert.Equal("abc", matcher.Push("abc</"));
        Assert.Equal("", matcher.Push("s"));
        Assert.Equal("", matcher.Push(">tail"));
        Assert.True(matcher.Stopped);
        Assert.Equal("</s>", matcher.Matched);
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_PartialMatchThatFails_ReleasesTheHeldText()
    {
        var matcher = new StopStringMatcher(["</s>"]);
        Assert.Equal("x", matcher.Push("x</"));
        Assert.Equal("</p", matcher.Push("p"));
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Push_SeveralStops_EarliestOccurrenceWins()
    {
        var (emitted, _, matcher) = Run(["world", "lo w"], ["hello world"]);
        Assert.Equal("hel", emitted);
        Assert.Equal("lo w", matcher.Matched);
    }

    [Fact]
    public void Push_NoStops_PassesEverythingThrough()
    {
        var matcher = new StopStringMatcher([""]);
        Assert.Equal("abc", matcher.Push("abc"));
        Assert.Equal("", matcher.Flush());
    }
}
