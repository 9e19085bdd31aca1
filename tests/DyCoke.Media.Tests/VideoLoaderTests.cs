// VideoLoader end to end on generated clips: every codec/container over http, data: and file:, the right frames
// picked (compared with a plain ffmpeg decode of all frames), sampling rules, grayscale, alpha, rotation, and the
// refusals for broken or oversized inputs, each followed by the staging and process hygiene checks.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class VideoLoaderTests(TestVideos videos) : IAsyncLifetime
{
    private const int FrameFloats = 3 * 384 * 384;
    private readonly MediaSandbox _sandbox = new();
    private readonly LoopbackHttpServer _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _sandbox.Dispose();
    }

    public static TheoryData<string> Clips() => ["H264", "Vp9OddSize", "Mpeg4Avi", "H264Mkv"];

    [Theory]
    [MemberData(nameof(Clips))]
    public async Task LoadAsync_HttpClip_DefaultSamplingPicksTheLinspaceFrames(string clipName)
    {
        TestClip clip = Clip(clipName);
        _server.Bytes("/clip", File.ReadAllBytes(clip.Path));

        VideoFrames frames = await LoadAsync(new VideoRequest(_server.Url("/clip")));

        byte[][] all = TestVideos.DecodeAllFrames(clip.Path, clip.Width, clip.Height);
        Assert.Equal(all.Length, frames.TotalFrames);
        Assert.Equal(32, frames.NumFrames);
        Assert.Equal(32 * FrameFloats, frames.Pixels.Length);
        Assert.Equal(FrameSampler.Indices(all.Length, 32, FrameSamplingRule.Linspace), frames.FrameIndices);
        Assert.Equal(all.Length - 1, frames.FrameIndices[^1]);
        Assert.Equal((clip.Width, clip.Height), (frames.SourceWidth, frames.SourceHeight));
        Assert.Equal(clip.Codec, frames.Codec);
        Assert.Equal(clip.Fps, frames.Fps, 3);
        AssertFramesEqual(all, clip.Width, clip.Height, frames);
        _sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_DataUrl_SameFramesAsHttp()
    {
        _server.Bytes("/clip", File.ReadAllBytes(videos.H264.Path));
        string dataUrl = "data:video/mp4;base64," + Convert.ToBase64String(File.ReadAllBytes(videos.H264.Path));

        VideoFrames viaHttp = await LoadAsync(new VideoRequest(_server.Url("/clip")) { NumFrames = 4 });
        VideoFrames viaData = await LoadAsync(new VideoRequest(dataUrl) { NumFrames = 4 });

        Assert.Equal(viaHttp.FrameIndices, viaData.FrameIndices);
        Assert.Equal(viaHttp.Pixels.ToArray(), viaData.Pixels.ToArray());
        _sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_FileUrlUnderRoot_ReadsInPlaceWithoutStaging()
    {
        string url = new Uri(videos.Mpeg4Avi.Path).AbsoluteUri;
        using var loader = new VideoLoader(_sandbox.Options(fileRoots: [videos.Directory]));

        VideoFrames frames = await loader.LoadAsync(new VideoRequest(url) { NumFrames = 5 }, TestContext.Current.CancellationToken);

        Assert.Equal(5, frames.NumFrames);
        AssertFramesEqual(TestVideos.DecodeAllFrames(videos.Mpeg4Avi.Path, 176, 144), 176, 144, frames);
        _sandbox.AssertClean();
        Assert.True(File.Exists(videos.Mpeg4Avi.Path));
    }

    [Fact]
    public async Task LoadAsync_FloorRuleAndNumFrames_HfIndices()
    {
        string url = ServeClip(videos.H264);

        VideoFrames frames = await LoadAsync(new VideoRequest(url) { NumFrames = 8, Rule = FrameSamplingRule.Floor });

        Assert.Equal(new[] { 0, 6, 12, 18, 25, 31, 37, 43 }, frames.FrameIndices);
        AssertFramesEqual(TestVideos.DecodeAllFrames(videos.H264.Path, 320, 240), 320, 240, frames);
    }

    [Fact]
    public async Task LoadAsync_Fps_DurationTimesFpsFrames()
    {
        string url = ServeClip(videos.H264); // 2 s

        VideoFrames frames = await LoadAsync(new VideoRequest(url) { Fps = 2 });

        Assert.Equal(4, frames.NumFrames);
        Assert.Equal(2.0, frames.DurationSeconds, 2);
    }

    [Fact]
    public async Task LoadAsync_MoreFramesThanTheVideoHas_RepeatsFrames()
    {
        string url = ServeClip(videos.Gray); // 20 frames

        VideoFrames frames = await LoadAsync(new VideoRequest(url) { NumFrames = 40 });

        Assert.Equal(40, frames.NumFrames);
        Assert.Equal(frames.FrameIndices[0], frames.FrameIndices[1]);
        Assert.Equal(frames.Frame(0).ToArray(), frames.Frame(1).ToArray());
        Assert.Equal(19, frames.FrameIndices[^1]);
    }

    [Fact]
    public async Task LoadAsync_Grayscale_ThreeEqualChannels()
    {
        VideoFrames frames = await LoadAsync(new VideoRequest(ServeClip(videos.Gray)) { NumFrames = 3 });

        for (int f = 0; f < 3; f++)
        {
            ReadOnlySpan<float> frame = frames.Frame(f);
            Assert.Equal(frame[..(384 * 384)].ToArray(), frame.Slice(384 * 384, 384 * 384).ToArray());
            Assert.Equal(frame[..(384 * 384)].ToArray(), frame.Slice(2 * 384 * 384, 384 * 384).ToArray());
        }
    }

    [Fact]
    public async Task LoadAsync_Alpha_CompositedOverWhite()
    {
        VideoFrames frames = await LoadAsync(new VideoRequest(ServeClip(videos.Alpha)) { NumFrames = 3 });

        // Expected: the RGBA frames of a plain decode, composited over white (Pillow's arithmetic), then resized.
        byte[][] rgba = TestVideos.DecodeAllFrames(videos.Alpha.Path, 200, 150, channels: 4);
        for (int f = 0; f < frames.NumFrames; f++)
        {
            Assert.Equal(Preprocess(rgba[frames.FrameIndices[f]], 200, 150, channels: 4), frames.Frame(f).ToArray());
        }
        // The left edge is fully transparent, so white: 1.0 in every channel.
        for (int c = 0; c < 3; c++) Assert.Equal(1f, frames.Frame(0)[c * 384 * 384 + 200 * 384]);
    }

    [Fact]
    public async Task LoadAsync_RotationMetadata_FramesRotatedAsDisplayed()
    {
        VideoFrames frames = await LoadAsync(new VideoRequest(ServeClip(videos.Rotated)) { NumFrames = 2 });

        Assert.Equal((64, 96), (frames.SourceWidth, frames.SourceHeight));
        Assert.Contains(frames.Rotation, new[] { 90, 270 });
        byte[][] upright = TestVideos.DecodeAllFrames(videos.Unrotated.Path, 96, 64);
        byte[] clockwise = Rotate(upright[frames.FrameIndices[0]], 96, 64, clockwise: true);
        byte[] counter = Rotate(upright[frames.FrameIndices[0]], 96, 64, clockwise: false);
        float[] actual = frames.Frame(0).ToArray();
        bool matches = actual.SequenceEqual(Preprocess(clockwise, 64, 96)) || actual.SequenceEqual(Preprocess(counter, 64, 96));
        Assert.True(matches, "the frame is not the source frame turned by 90 degrees");
        Assert.False(actual.SequenceEqual(Preprocess(upright[frames.FrameIndices[0]], 96, 64)));
    }

    [Fact]
    public async Task LoadAsync_Corrupt_CorruptStream()
    {
        var e = await LoadFailsAsync(ServeFile(videos.Corrupt));

        Assert.Equal(MediaErrorKind.CorruptStream, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_Truncated_CorruptStream()
    {
        var e = await LoadFailsAsync(ServeFile(videos.Truncated));

        Assert.Equal(MediaErrorKind.CorruptStream, e.Kind);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task LoadAsync_AudioOnly_NoVideoStream()
    {
        var e = await LoadFailsAsync(ServeFile(videos.AudioOnly));

        Assert.Equal(MediaErrorKind.NoVideoStream, e.Kind);
    }

    [Theory]
    [InlineData("Garbage")]
    [InlineData("Png")]
    [InlineData("HlsPlaylist")]
    public async Task LoadAsync_NotAnAllowedVideoContainer_NotAVideo(string name)
    {
        string path = name switch { "Garbage" => videos.Garbage, "Png" => videos.Png, _ => videos.HlsPlaylist };

        var e = await LoadFailsAsync(ServeFile(path));

        Assert.Equal(MediaErrorKind.NotAVideo, e.Kind);
        Assert.DoesNotContain(_sandbox.TempDirectory, e.Message);
    }

    [Fact]
    public async Task LoadAsync_WiderThanMax_ResolutionTooLarge()
    {
        var e = await LoadFailsAsync(ServeClip(videos.Large), o => o with { MaxFrameSide = 320 });

        Assert.Equal(MediaErrorKind.ResolutionTooLarge, e.Kind);
        Assert.Contains("640x480", e.Message);
    }

    [Fact]
    public async Task LoadAsync_LongerThanMax_TooLong()
    {
        var e = await LoadFailsAsync(ServeClip(videos.H264), o => o with { MaxDurationSeconds = 1 });

        Assert.Equal(MediaErrorKind.TooLong, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_HugeNumFrames_RefusedBeforeFetching()
    {
        string url = ServeClip(videos.H264);

        var e = await LoadFailsAsync(url, request: new VideoRequest(url) { NumFrames = 1_000_000 });

        Assert.Equal(MediaErrorKind.TooManyFrames, e.Kind);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task LoadAsync_HugeFps_RefusedBeforeFetching()
    {
        string url = ServeClip(videos.H264);

        var e = await LoadFailsAsync(url, request: new VideoRequest(url) { Fps = 10_000 });

        Assert.Equal(MediaErrorKind.FpsTooHigh, e.Kind);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task LoadAsync_FpsTimesDurationAboveMax_TooManyFrames()
    {
        string url = ServeClip(videos.H264); // 2 s

        var e = await LoadFailsAsync(url, o => o with { MaxFrames = 8, DefaultFrames = 8 }, new VideoRequest(url) { Fps = 10 });

        Assert.Equal(MediaErrorKind.TooManyFrames, e.Kind);
        Assert.Contains("20 frames", e.Message);
    }

    private TestClip Clip(string name) => name switch
    {
        "H264" => videos.H264,
        "Vp9OddSize" => videos.Vp9OddSize,
        "Mpeg4Avi" => videos.Mpeg4Avi,
        "H264Mkv" => videos.H264Mkv,
        _ => throw new ArgumentException(name),
    };

    private string ServeClip(TestClip clip) => ServeFile(clip.Path);

    private string ServeFile(string path)
    {
        string route = "/" + Path.GetFileName(path);
        _server.Bytes(route, File.ReadAllBytes(path));
        return _server.Url(route);
    }

    private async Task<VideoFrames> LoadAsync(VideoRequest request)
    {
        using var loader = new VideoLoader(_sandbox.Options());
        VideoFrames frames = await loader.LoadAsync(request, TestContext.Current.CancellationToken);
        _sandbox.AssertClean();
        return frames;
    }

    private async Task<MediaException> LoadFailsAsync(string url, Func<MediaOptions, MediaOptions>? configure = null, VideoRequest? request = null)
    {
        MediaOptions options = _sandbox.Options();
        if (configure is not null) options = configure(options);
        using var loader = new VideoLoader(options);

        var e = await Assert.ThrowsAsync<MediaException>(() => loader.LoadAsync(request ?? new VideoRequest(url), TestContext.Current.CancellationToken));

        _sandbox.AssertClean();
        Assert.Equal(0, loader.Pool.Admitted);
        return e;
    }

    /// <summary>Each output frame equals our preprocessing of the same-numbered frame of a plain full decode.</summary>
    private static void AssertFramesEqual(byte[][] all, int width, int height, VideoFrames frames)
    {
        for (int f = 0; f < frames.NumFrames; f++)
        {
            float[] expected = Preprocess(all[frames.FrameIndices[f]], width, height);
            Assert.True(expected.AsSpan().SequenceEqual(frames.Frame(f)), $"frame {f} (source {frames.FrameIndices[f]}) differs");
        }
    }

    private static float[] Preprocess(byte[] pixels, int width, int height, int channels = 3)
    {
        var output = new float[FrameFloats]; // [3, 384, 384]
        new FramePreprocessor().Process(pixels, width, height, channels, output);
        return output;
    }

    /// <summary>[H, W, 3] turned by 90 degrees into [W, H, 3].</summary>
    private static byte[] Rotate(byte[] rgb, int width, int height, bool clockwise)
    {
        var rotated = new byte[rgb.Length]; // [W, H, 3]
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int ny = clockwise ? x : width - 1 - x;
                int nx = clockwise ? height - 1 - y : y;
                for (int c = 0; c < 3; c++) rotated[(ny * height + nx) * 3 + c] = rgb[(y * width + x) * 3 + c];
            }
        }
        return rotated;
    }
}
