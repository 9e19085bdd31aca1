// Real video input end to end: DyCoke.Media fetches file: and data: URLs, ffmpeg samples frames, the engine runs the
// demo model with DyCoke; refused URLs (scheme, file outside the root, loopback http) are OpenAI-shaped 400s.
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>The server with a file root holding one small clip made by ffmpeg.</summary>
public sealed class MediaServerFixture : ServerFixture
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"dycoke-media-root-{Guid.NewGuid():N}");

    public MediaServerFixture()
    {
        Directory.CreateDirectory(Root);
        ClipPath = Path.Combine(Root, "clip.mp4");
        var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg",
            ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1", "-pix_fmt", "yuv420p", "-y", ClipPath])
            { RedirectStandardError = true })!;
        ffmpeg.WaitForExit();
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {ffmpeg.StandardError.ReadToEnd()}");
    }

    public string ClipPath { get; }

    protected override string[] ExtraArgs => ["--Media:FileRoots:0", Root];

    protected override void DeleteFiles() => Directory.Delete(Root, recursive: true);
}

public sealed class MediaVideoTests(MediaServerFixture server) : IClassFixture<MediaServerFixture>
{
    private static string Body(string url, int frames, bool stream = false) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["messages"] = new object[]
        {
            new { role = "user", content = new object[] { new { type = "video_url", video_url = new { url } }, new { type = "text", text = "What is shown?" } } },
        },
        ["max_tokens"] = 3,
        ["ignore_eos"] = true,
        ["stream"] = stream,
        ["media_io_kwargs"] = new { video = new { num_frames = frames } },
    });

    private static async Task<JsonElement> UsageAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return doc.RootElement.GetProperty("usage").Clone();
    }

    [Fact]
    public async Task Complete_FileUrlUnderTheRoot_VideoTokensForTheSampledFrames()
    {
        using var response = await Wire.PostAsync(server.Http, Body(new Uri(server.ClipPath).AbsoluteUri, 4), TestContext.Current.CancellationToken);
        var usage = await UsageAsync(response);
        Assert.Equal(4 * 196 + 1, usage.GetProperty("dycoke").GetProperty("video_tokens_before_ttm").GetInt32());
        await server.WaitForIdleEngineAsync();

        string metrics = await server.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        long Value(string prefix) => long.Parse(metrics.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal)).Split(' ')[^1]);
        Assert.True(Value("dycoke:video_frames_count ") >= 1);
        Assert.True(Value("dycoke:media_decode_seconds_count ") >= 1);
        Assert.True(Value("dycoke:video_tokens_before_ttm_total{") >= 4 * 196 + 1);
    }

    [Fact]
    public async Task Complete_SameClipAsFileAndAsDataUrl_SecondProbeAndFramesComeFromTheCaches()
    {
        string metricsBefore = await server.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        string fileUrl = new Uri(server.ClipPath).AbsoluteUri;
        string dataUrl = "data:video/mp4;base64," + Convert.ToBase64String(await File.ReadAllBytesAsync(server.ClipPath, TestContext.Current.CancellationToken));
        using (var first = await Wire.PostAsync(server.Http, Body(fileUrl, 2), TestContext.Current.CancellationToken)) await UsageAsync(first);
        using (var second = await Wire.PostAsync(server.Http, Body(dataUrl, 2), TestContext.Current.CancellationToken)) await UsageAsync(second);
        await server.WaitForIdleEngineAsync();

        string metrics = await server.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        static long Hits(string text, string cache) => long.Parse(text.Split('\n').Single(l => l.StartsWith($"dycoke:media_{cache}_cache_hits_total{{", StringComparison.Ordinal)).Split(' ')[^1]);
        // The same bytes under a second URL, sampled alike: at least this request's probe and frames came from the caches.
        foreach (string cache in new[] { "probe", "frame" })
            Assert.True(Hits(metrics, cache) >= Hits(metricsBefore, cache) + 1, $"{cache} cache hits {Hits(metricsBefore, cache)} -> {Hits(metrics, cache)}");
    }

    [Fact]
    public async Task Stream_DataUrl_DecodesAndStreamsToDone()
    {
        string url = "data:video/mp4;base64," + Convert.ToBase64String(await File.ReadAllBytesAsync(server.ClipPath, TestContext.Current.CancellationToken));
        using var response = await Wire.PostAsync(server.Http, Body(url, 2, stream: true), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await Wire.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Contains(events, e => e.Contains("\"finish_reason\":\"length\"", StringComparison.Ordinal));
        await server.WaitForIdleEngineAsync();
    }

    [Theory]
    [InlineData("ftp://example.com/v.mp4")]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://127.0.0.1:9/v.mp4")]
    [InlineData("https://127.0.0.1/v.mp4")]
    [InlineData("not a url")]
    public async Task Complete_RefusedUrl_400NamingThePart(string url)
    {
        using var response = await Wire.PostAsync(server.Http, Body(url, 2), TestContext.Current.CancellationToken);
        await Wire.AssertErrorAsync(response, HttpStatusCode.BadRequest, "messages[0].content[0].video_url.url");
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task Complete_NotAVideo_400()
    {
        string url = "data:video/mp4;base64," + Convert.ToBase64String("definitely not a video"u8.ToArray());
        using var response = await Wire.PostAsync(server.Http, Body(url, 2), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Wire.AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }
}
