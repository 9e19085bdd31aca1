// SseParser: the same events come out however the bytes are split into reads, CRLF or LF, with comments and other
// fields ignored and multi-line data joined; a multi-byte character split across reads survives.
using System.Text;
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class SseParserTests
{
    private const string Stream =
        "data: {\"a\":1}\n\n" +
        ": keep-alive comment\n\n" +
        "event: message\nid: 7\ndata: {\"b\":\"é€\"}\n\n" +
        "data: line one\r\ndata: line two\r\n\r\n" +
        "data:no-space\n\n" +
        "data: [DONE]\n\n";

    private static readonly string[] s_expected = ["{\"a\":1}", "{\"b\":\"é€\"}", "line one\nline two", "no-space", "[DONE]"];

    private static List<string> Parse(byte[] bytes, int readSize)
    {
        var parser = new SseParser();
        var events = new List<string>();
        for (int i = 0; i < bytes.Length; i += readSize) parser.Push(bytes.AsSpan(i, Math.Min(readSize, bytes.Length - i)), events);
        parser.Complete(events);
        return events;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void Push_AnyReadSize_SameEvents(int readSize)
    {
        Assert.Equal(s_expected, Parse(Encoding.UTF8.GetBytes(Stream), readSize));
    }

    [Fact]
    public void Push_EventCompletedByLaterRead_HandedOutOnlyThen()
    {
        var parser = new SseParser();
        var events = new List<string>();
        parser.Push("data: {\"x\":"u8, events);
        Assert.Empty(events);
        parser.Push("2}\n"u8, events);
        Assert.Empty(events); // a data line alone is not an event until its blank line
        parser.Push("\n"u8, events);
        Assert.Equal(["{\"x\":2}"], events);
    }

    [Fact]
    public void Complete_LastEventWithoutBlankLine_StillHandedOut()
    {
        Assert.Equal(["{}", "[DONE]"], Parse("data: {}\n\ndata: [DONE]"u8.ToArray(), 4));
    }

    [Fact]
    public void Complete_LastLineEndingInCarriageReturn_CarriageReturnDropped()
    {
        Assert.Equal(["[DONE]"], Parse("data: [DONE]\r"u8.ToArray(), 5));
    }

    [Fact]
    public void Complete_OnlyCommentsAndBlankLines_NoEvents()
    {
        Assert.Empty(Parse(": ping\n\n\n: ping\n"u8.ToArray(), 3));
    }
}
