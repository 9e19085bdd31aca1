// The request body: streaming with usage, fixed length, the video part with its frame count, and the DyCoke switch
// sent as asked (and not at all for the server default); VideoSource turns a local file into file: or data: URLs.
using System.Text.Json;
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class RequestBodyBuilderTests
{
    private static JsonElement Build(string? video, DyCokeMode mode)
    {
        using var doc = JsonDocument.Parse(RequestBodyBuilder.Build("m", "What happens?", video, 8, 32, mode));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Build_VideoDyCokeOff_EveryFieldOfTheContract()
    {
        var body = Build("file:///tmp/v.mp4", DyCokeMode.Off);
        Assert.Equal("m", body.GetProperty("model").GetString());
        Assert.Equal(32, body.GetProperty("max_tokens").GetInt32());
        Assert.True(body.GetProperty("ignore_eos").GetBoolean());
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal(8, body.GetProperty("media_io_kwargs").GetProperty("video").GetProperty("num_frames").GetInt32());
        Assert.False(body.GetProperty("dycoke").GetProperty("enabled").GetBoolean());

        var message = Assert.Single(body.GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        var parts = message.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("video_url", parts[0].GetProperty("type").GetString());
        Assert.Equal("file:///tmp/v.mp4", parts[0].GetProperty("video_url").GetProperty("url").GetString());
        Assert.Equal("text", parts[1].GetProperty("type").GetString());
        Assert.Equal("What happens?", parts[1].GetProperty("text").GetString());
    }

    [Fact]
    public void Build_DyCokeOn_EnabledTrue()
    {
        Assert.True(Build("https://example.com/v.mp4", DyCokeMode.On).GetProperty("dycoke").GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public void Build_TextOnlyServerDefault_NoVideoFieldsAndNoDyCokeField()
    {
        var body = Build(null, DyCokeMode.Default);
        Assert.False(body.TryGetProperty("dycoke", out _));
        Assert.False(body.TryGetProperty("media_io_kwargs", out _));
        var part = Assert.Single(body.GetProperty("messages")[0].GetProperty("content").EnumerateArray());
        Assert.Equal("text", part.GetProperty("type").GetString());
    }

    [Fact]
    public void ToUrl_LocalFile_FileUrlOrInlineDataUrl()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}.mp4");
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            Assert.Equal(new Uri(path).AbsoluteUri, VideoSource.ToUrl(path, inline: false));
            Assert.StartsWith("file:///", VideoSource.ToUrl(path, inline: false), StringComparison.Ordinal);
            Assert.Equal("data:video/mp4;base64,AQID", VideoSource.ToUrl(path, inline: true));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("https://example.com/v.mp4")]
    [InlineData("file:///data/v.mp4")]
    [InlineData("data:video/mp4;base64,AAAA")]
    public void ToUrl_Url_Unchanged(string url)
    {
        Assert.Equal(url, VideoSource.ToUrl(url, inline: false));
    }

    [Fact]
    public void ToUrl_MissingFile_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => VideoSource.ToUrl("/nonexistent/dir/v.mp4", inline: false));
    }
}
