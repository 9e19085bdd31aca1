// Frame index rules against values printed by numpy (np.linspace(0, T-1, N, dtype=int)) and the HF floor(i*T/N)
// rule, and the request checks: limits named, nothing clamped.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class FrameSamplerTests
{
    // /usr/bin/python3 -c "import numpy as np; print(np.linspace(0, T-1, N, dtype=int).tolist())" (numpy 1.24.2)
    [Theory]
    [InlineData(50, 32, new[] { 0, 1, 3, 4, 6, 7, 9, 11, 12, 14, 15, 17, 18, 20, 22, 23, 25, 26, 28, 30, 31, 33, 34, 36, 37, 39, 41, 42, 44, 45, 47, 49 })]
    [InlineData(1800, 8, new[] { 0, 257, 514, 771, 1028, 1285, 1542, 1799 })]
    [InlineData(10, 4, new[] { 0, 3, 6, 9 })]
    [InlineData(5, 8, new[] { 0, 0, 1, 1, 2, 2, 3, 4 })]
    [InlineData(1, 3, new[] { 0, 0, 0 })]
    [InlineData(7, 1, new[] { 0 })]
    [InlineData(100, 3, new[] { 0, 49, 99 })]
    public void Indices_Linspace_MatchesNumpy(int total, int count, int[] expected)
    {
        Assert.Equal(expected, FrameSampler.Indices(total, count, FrameSamplingRule.Linspace));
    }

    [Theory]
    [InlineData(50, 8, new[] { 0, 6, 12, 18, 25, 31, 37, 43 })]
    [InlineData(10, 4, new[] { 0, 2, 5, 7 })]
    [InlineData(3, 6, new[] { 0, 0, 1, 1, 2, 2 })]
    [InlineData(32, 32, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 })]
    public void Indices_Floor_IsFloorOfITimesTOverN(int total, int count, int[] expected)
    {
        Assert.Equal(expected, FrameSampler.Indices(total, count, FrameSamplingRule.Floor));
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(4, 0)]
    public void Indices_NonPositive_Throws(int total, int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameSampler.Indices(total, count, FrameSamplingRule.Linspace));
    }

    [Fact]
    public void Validate_NumFramesAboveMax_TooManyFramesNamingTheLimit()
    {
        var options = new MediaOptions { MaxFrames = 64 };

        var e = Assert.Throws<MediaException>(() => FrameSampler.Validate(new VideoRequest("https://x/v.mp4") { NumFrames = 100_000 }, options));

        Assert.Equal(MediaErrorKind.TooManyFrames, e.Kind);
        Assert.Equal(400, e.HttpStatus);
        Assert.Equal(MediaParams.NumFrames, e.Param);
        Assert.Contains("64", e.Message);
    }

    [Fact]
    public void Validate_FpsAboveMax_FpsTooHighNamingTheLimit()
    {
        var options = new MediaOptions { MaxFps = 30 };

        var e = Assert.Throws<MediaException>(() => FrameSampler.Validate(new VideoRequest("https://x/v.mp4") { Fps = 1000 }, options));

        Assert.Equal(MediaErrorKind.FpsTooHigh, e.Kind);
        Assert.Equal(MediaParams.Fps, e.Param);
        Assert.Contains("30", e.Message);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(-1, null)]
    [InlineData(null, 0.0)]
    [InlineData(null, -2.0)]
    [InlineData(null, double.NaN)]
    [InlineData(null, double.PositiveInfinity)]
    public void Validate_NonsenseValue_InvalidParameter(int? numFrames, double? fps)
    {
        var request = new VideoRequest("https://x/v.mp4") { NumFrames = numFrames, Fps = fps };

        var e = Assert.Throws<MediaException>(() => FrameSampler.Validate(request, new MediaOptions()));

        Assert.Equal(MediaErrorKind.InvalidParameter, e.Kind);
    }

    [Fact]
    public void FrameCount_NothingAsked_ServerDefault()
    {
        Assert.Equal(32, FrameSampler.FrameCount(new VideoRequest("u"), new MediaOptions(), durationSeconds: 60));
    }

    [Theory]
    [InlineData(10.0, 2.0, null, 20)] // duration x fps
    [InlineData(10.0, 2.0, 8, 8)] // num_frames caps the fps count
    [InlineData(10.0, 0.5, 8, 5)] // the fps count is below num_frames
    [InlineData(0.2, 1.0, null, 1)] // at least one frame
    [InlineData(3.99, 2.0, null, 7)] // floor
    public void FrameCount_Fps_DurationTimesFpsCappedByNumFrames(double duration, double fps, int? numFrames, int expected)
    {
        var request = new VideoRequest("u") { Fps = fps, NumFrames = numFrames };

        Assert.Equal(expected, FrameSampler.FrameCount(request, new MediaOptions(), duration));
    }

    [Fact]
    public void FrameCount_FpsImpliesMoreThanMax_RefusedNotClamped()
    {
        var request = new VideoRequest("u") { Fps = 2 };

        var e = Assert.Throws<MediaException>(() => FrameSampler.FrameCount(request, new MediaOptions { MaxFrames = 64 }, durationSeconds: 600));

        Assert.Equal(MediaErrorKind.TooManyFrames, e.Kind);
        Assert.Contains("1200 frames", e.Message);
        Assert.Contains("64", e.Message);
    }
}
