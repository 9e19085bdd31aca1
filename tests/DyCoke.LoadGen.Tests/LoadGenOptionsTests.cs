// Argument parsing: the defaults, every option read, and each kind of mistake refused with a message naming it.
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class LoadGenOptionsTests
{
    [Fact]
    public void Parse_NoArguments_Defaults()
    {
        var o = LoadGenOptions.Parse([]);
        Assert.Equal(new Uri("http://127.0.0.1:8000"), o.Url);
        Assert.Equal([1, 2, 4, 8, 16], o.Concurrency);
        Assert.Equal(32, o.RequestsPerLevel);
        Assert.Null(o.Duration);
        Assert.Equal([DyCokeMode.On, DyCokeMode.Off], o.DyCoke);
        Assert.Equal(8, o.Frames);
        Assert.Equal(64, o.MaxTokens);
        Assert.True(o.ScrapeMetrics);
        Assert.Null(o.Video);
    }

    [Fact]
    public void Parse_EveryOption_Read()
    {
        var o = LoadGenOptions.Parse([
            "--url", "https://example.com:9000/base", "--model", "m", "--concurrency", "2, 4", "--duration", "1.5", "--video", "clip.mp4",
            "--inline", "--frames", "16", "--max-tokens", "32", "--prompt", "Why?", "--dycoke", "off,default", "--warmup", "0",
            "--timeout", "30", "--api-key", "k", "--no-metrics", "--json", "o.json", "--png", "o.png"]);
        Assert.Equal(new Uri("https://example.com:9000/base"), o.Url);
        Assert.Equal("m", o.Model);
        Assert.Equal([2, 4], o.Concurrency);
        Assert.Null(o.RequestsPerLevel);
        Assert.Equal(TimeSpan.FromSeconds(1.5), o.Duration);
        Assert.Equal("clip.mp4", o.Video);
        Assert.True(o.Inline);
        Assert.Equal(16, o.Frames);
        Assert.Equal(32, o.MaxTokens);
        Assert.Equal("Why?", o.Prompt);
        Assert.Equal([DyCokeMode.Off, DyCokeMode.Default], o.DyCoke);
        Assert.Equal(0, o.Warmup);
        Assert.Equal(TimeSpan.FromSeconds(30), o.Timeout);
        Assert.Equal("k", o.ApiKey);
        Assert.False(o.ScrapeMetrics);
        Assert.Equal("o.json", o.JsonPath);
        Assert.Equal("o.png", o.PngPath);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus", "1")]
    [InlineData("unknown option 'stray'", "stray")]
    [InlineData("option '--frames' needs a value", "--frames")]
    [InlineData("option '--frames' is given twice", "--frames", "2", "--frames", "3")]
    [InlineData("option '--inline' is given twice", "--video", "a.mp4", "--inline", "--inline")]
    [InlineData("--frames expects a positive integer, got '0'", "--frames", "0")]
    [InlineData("--max-tokens expects a positive integer, got '-4'", "--max-tokens", "-4")]
    [InlineData("--concurrency expects a positive integer, got 'x'", "--concurrency", "1,x")]
    [InlineData("--concurrency expects a positive integer, got ''", "--concurrency", "")]
    [InlineData("--concurrency lists 2 twice", "--concurrency", "2,2")]
    [InlineData("--dycoke expects on, off or default, got 'maybe'", "--dycoke", "maybe")]
    [InlineData("--dycoke lists 'on' twice", "--dycoke", "on,on")]
    [InlineData("--url expects an http:// or https:// address, got 'ftp://h'", "--url", "ftp://h")]
    [InlineData("--url expects an http:// or https:// address, got 'localhost'", "--url", "localhost")]
    [InlineData("--duration expects a positive number of seconds, got '0'", "--duration", "0")]
    [InlineData("--timeout expects a positive number of seconds, got 'NaN'", "--timeout", "NaN")]
    [InlineData("give either --requests-per-level or --duration, not both", "--requests-per-level", "4", "--duration", "10")]
    [InlineData("--requests-per-level 8 is below the highest --concurrency 16", "--requests-per-level", "8")]
    [InlineData("--inline needs --video to name a local file", "--inline")]
    [InlineData("--inline needs --video to name a local file", "--inline", "--video", "https://example.com/v.mp4")]
    [InlineData("--prompt must not be empty", "--prompt", "")]
    public void Parse_Mistake_ThrowsNamingIt(string message, params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(args));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Parse_DurationWithFewWorkers_NoRequestCountCheck()
    {
        var o = LoadGenOptions.Parse(["--concurrency", "64", "--duration", "5"]);
        Assert.Equal([64], o.Concurrency);
    }

    [Fact]
    public async Task RunAsync_BadArgument_ExitCode2AndUsageOnStderr()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await LoadGenCommand.RunAsync(["--frames", "zero"], output, error, TestContext.Current.CancellationToken);
        Assert.Equal(LoadGenCommand.UsageError, code);
        Assert.Contains("--frames expects a positive integer", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("usage: dycoke-loadgen", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }
}
