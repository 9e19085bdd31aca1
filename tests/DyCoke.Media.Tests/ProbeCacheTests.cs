// The probe cache: least-recently-used eviction and its counts, and in VideoLoader a byte-identical video (served
// again, or under another URL) skips ffprobe and gives the same pixels, while different bytes and a disabled cache
// probe every time. ffprobe is a wrapper script that logs each start, then runs the real one.
using Xunit;

namespace DyCoke.Media.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProbeCacheTests(TestVideos videos) : ToolScriptTests
{
    [Fact]
    public void Cache_Full_EvictsTheLeastRecentlyUsedAndCountsHitsAndMisses()
    {
        var cache = new ProbeCache(2);
        VideoInfo a = Info(10), b = Info(20), c = Info(30);
        cache.Add("a", a);
        cache.Add("b", b);
        Assert.True(cache.TryGet("a", out var gotA)); // a is now the most recent
        cache.Add("c", c); // evicts b

        Assert.Same(a, gotA);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out var gotC));
        Assert.Same(c, gotC);
        Assert.Equal(2, cache.Count);
        Assert.Equal((2L, 1L), (cache.Hits, cache.Misses));

        cache.Add("c", Info(31)); // refreshing a key replaces its probe without growing
        Assert.True(cache.TryGet("c", out var refreshed));
        Assert.Equal(31, refreshed.FrameCount);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task LoadAsync_SameBytesTwiceUnderTwoUrls_OneProbeAndTheSamePixels()
    {
        byte[] clip = File.ReadAllBytes(videos.H264.Path);
        Server.Bytes("/first.mp4", clip);
        Server.Bytes("/second.mp4", clip);
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe() });
        var request = (string url) => new VideoRequest(Server.Url(url)) { NumFrames = 4 };

        VideoFrames first = await loader.LoadAsync(request("/first.mp4"), TestContext.Current.CancellationToken);
        VideoFrames second = await loader.LoadAsync(request("/second.mp4"), TestContext.Current.CancellationToken);

        Assert.Equal(1, ProbeStarts());
        Assert.False(first.ProbeCached);
        Assert.True(second.ProbeCached);
        Assert.Equal(first.FrameIndices, second.FrameIndices);
        Assert.Equal(first.Pixels, second.Pixels);
        Assert.Equal((1L, 1L), loader.ProbeCacheCounts);
        Sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_DifferentBytes_ProbesEach()
    {
        Server.Bytes("/h264.mp4", File.ReadAllBytes(videos.H264.Path));
        Server.Bytes("/vp9.webm", File.ReadAllBytes(videos.Vp9OddSize.Path));
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe() });

        VideoFrames h264 = await loader.LoadAsync(new VideoRequest(Server.Url("/h264.mp4")) { NumFrames = 4 }, TestContext.Current.CancellationToken);
        int afterFirst = ProbeStarts();
        VideoFrames vp9 = await loader.LoadAsync(new VideoRequest(Server.Url("/vp9.webm")) { NumFrames = 4 }, TestContext.Current.CancellationToken);

        Assert.Equal(1, afterFirst);
        Assert.True(ProbeStarts() > afterFirst, "the second video was not probed"); // WebM lists no frame count: a second ffprobe counts packets
        Assert.False(vp9.ProbeCached);
        Assert.NotEqual(h264.Codec, vp9.Codec);
    }

    [Fact]
    public async Task LoadAsync_CacheOff_ProbesEveryTime()
    {
        Server.Bytes("/clip.mp4", File.ReadAllBytes(videos.H264.Path));
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe(), ProbeCacheEntries = 0 });

        for (int i = 0; i < 2; i++)
        {
            VideoFrames frames = await loader.LoadAsync(new VideoRequest(Server.Url("/clip.mp4")) { NumFrames = 4 }, TestContext.Current.CancellationToken);
            Assert.False(frames.ProbeCached);
        }
        Assert.Equal(2, ProbeStarts());
        Assert.Equal((0L, 0L), loader.ProbeCacheCounts);
    }

    [Fact]
    public void Options_NegativeProbeCacheEntries_Rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => (Sandbox.Options() with { ProbeCacheEntries = -1 }).Validate());
        Assert.Contains(nameof(MediaOptions.ProbeCacheEntries), e.Message);
    }

    private static VideoInfo Info(int frames) => new(0, "h264", "mov", 64, 48, "yuv420p", 0, frames, 10, frames / 10.0);

    private string CountingFfprobe() => Script("ffprobe", $"echo started >> '{Tools}/starts'\nexec ffprobe \"$@\"");

    private int ProbeStarts()
    {
        string log = Path.Combine(Tools, "starts");
        return File.Exists(log) ? File.ReadAllLines(log).Length : 0;
    }
}
