// The loader's content caches: least-recently-used eviction by entry count and by bytes, and in VideoLoader a
// byte-identical video (served again, or under another URL) skips ffprobe, and ffmpeg too when sampled alike, with the
// same pixels; different bytes, other frames and disabled caches run the tools. ffprobe and ffmpeg are wrapper
// scripts that log each start, then run the real ones.
using Xunit;

namespace DyCoke.Media.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ContentCacheTests(TestVideos videos) : ToolScriptTests
{
    [Fact]
    public void Cache_Full_EvictsTheLeastRecentlyUsedAndCountsHitsAndMisses()
    {
        var cache = new ContentCache<VideoInfo>(2, _ => 1);
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

        cache.Add("c", Info(31)); // replacing a key's value does not grow the cache
        Assert.True(cache.TryGet("c", out var replaced));
        Assert.Equal(31, replaced.FrameCount);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Cache_ByBytes_EvictsUntilTheNewValueFitsAndSkipsOneLargerThanAll()
    {
        var cache = new ContentCache<float[]>(100 * sizeof(float), v => (long)v.Length * sizeof(float));
        cache.Add("x", new float[40]);
        cache.Add("y", new float[40]);
        cache.Add("z", new float[50]); // evicts x (the least recent), then fits: 90 floats held

        Assert.False(cache.TryGet("x", out _));
        Assert.True(cache.TryGet("y", out _));
        Assert.Equal(90 * sizeof(float), cache.Held);

        cache.Add("huge", new float[101]); // larger than the whole budget: not stored, nothing evicted
        Assert.False(cache.TryGet("huge", out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task LoadAsync_SameBytesTwiceUnderTwoUrls_OneProbeAndTheSamePixels()
    {
        byte[] clip = File.ReadAllBytes(videos.H264.Path);
        Server.Bytes("/first.mp4", clip);
        Server.Bytes("/second.mp4", clip);
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe(), FfmpegPath = CountingFfmpeg() });
        var request = (string url, int frames) => new VideoRequest(Server.Url(url)) { NumFrames = frames };

        VideoFrames first = await loader.LoadAsync(request("/first.mp4", 4), TestContext.Current.CancellationToken);
        VideoFrames second = await loader.LoadAsync(request("/second.mp4", 4), TestContext.Current.CancellationToken);
        VideoFrames third = await loader.LoadAsync(request("/second.mp4", 3), TestContext.Current.CancellationToken); // other frames

        Assert.Equal((1, 2), (Starts("probe"), Starts("decode")));
        Assert.False(first.ProbeCached || first.FramesCached);
        Assert.True(second.ProbeCached && second.FramesCached);
        Assert.True(third.ProbeCached && !third.FramesCached);
        Assert.Equal(first.FrameIndices, second.FrameIndices);
        Assert.Equal(first.Pixels.ToArray(), second.Pixels.ToArray());
        Assert.True(first.Pixels.Equals(second.Pixels), "a frame-cache hit shares the cached pixels instead of copying them");
        Assert.Equal((2L, 1L), loader.ProbeCacheCounts);
        Assert.Equal((1L, 2L), loader.FrameCacheCounts);
        Sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_FrameCacheOff_ProbeStillCachedAndFfmpegRunsEachTime()
    {
        Server.Bytes("/clip.mp4", File.ReadAllBytes(videos.H264.Path));
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe(), FfmpegPath = CountingFfmpeg(), FrameCacheBytes = 0 });

        for (int i = 0; i < 2; i++)
        {
            VideoFrames frames = await loader.LoadAsync(new VideoRequest(Server.Url("/clip.mp4")) { NumFrames = 4 }, TestContext.Current.CancellationToken);
            Assert.False(frames.FramesCached);
        }
        Assert.Equal((1, 2), (Starts("probe"), Starts("decode")));
        Assert.Equal((0L, 0L), loader.FrameCacheCounts);
    }

    [Fact]
    public async Task LoadAsync_DifferentBytes_ProbesEach()
    {
        Server.Bytes("/h264.mp4", File.ReadAllBytes(videos.H264.Path));
        Server.Bytes("/vp9.webm", File.ReadAllBytes(videos.Vp9OddSize.Path));
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe() });

        VideoFrames h264 = await loader.LoadAsync(new VideoRequest(Server.Url("/h264.mp4")) { NumFrames = 4 }, TestContext.Current.CancellationToken);
        int afterFirst = Starts("probe");
        VideoFrames vp9 = await loader.LoadAsync(new VideoRequest(Server.Url("/vp9.webm")) { NumFrames = 4 }, TestContext.Current.CancellationToken);

        Assert.Equal(1, afterFirst);
        Assert.True(Starts("probe") > afterFirst, "the second video was not probed"); // WebM lists no frame count: a second ffprobe counts packets
        Assert.False(vp9.ProbeCached);
        Assert.NotEqual(h264.Codec, vp9.Codec);
    }

    [Fact]
    public async Task LoadAsync_CacheOff_ProbesEveryTime()
    {
        Server.Bytes("/clip.mp4", File.ReadAllBytes(videos.H264.Path));
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = CountingFfprobe(), ProbeCacheEntries = 0, FrameCacheBytes = 0 });

        for (int i = 0; i < 2; i++)
        {
            VideoFrames frames = await loader.LoadAsync(new VideoRequest(Server.Url("/clip.mp4")) { NumFrames = 4 }, TestContext.Current.CancellationToken);
            Assert.False(frames.ProbeCached);
        }
        Assert.Equal(2, Starts("probe"));
        Assert.Equal((0L, 0L), loader.ProbeCacheCounts);
    }

    [Theory]
    [InlineData(-1, 0L, nameof(MediaOptions.ProbeCacheEntries))]
    [InlineData(0, -1L, nameof(MediaOptions.FrameCacheBytes))]
    public void Options_NegativeCacheSize_Rejected(int probes, long frameBytes, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => (Sandbox.Options() with { ProbeCacheEntries = probes, FrameCacheBytes = frameBytes }).Validate());
        Assert.Contains(name, e.Message);
    }

    private static VideoInfo Info(int frames) => new(0, "h264", "mov", 64, 48, "yuv420p", 0, frames, 10, frames / 10.0);

    private string CountingFfprobe() => Script("ffprobe", $"echo started >> '{Tools}/probe'\nexec ffprobe \"$@\"");

    private string CountingFfmpeg() => Script("ffmpeg", $"echo started >> '{Tools}/decode'\nexec ffmpeg \"$@\"");

    private int Starts(string tool)
    {
        string log = Path.Combine(Tools, tool);
        return File.Exists(log) ? File.ReadAllLines(log).Length : 0;
    }
}
