// Interpreting ffprobe's JSON: the stream chosen (cover art skipped), rotation in its two spellings, frame rate and
// duration fallbacks, and the refusals (no video stream, no size). Real ffprobe runs are covered by VideoLoaderTests.
using System.Text;
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class VideoProbeTests
{
    [Fact]
    public void Parse_CoverArtFirst_PicksTheRealVideoStream()
    {
        VideoInfo info = Parse("""
            {"streams": [
              {"index": 0, "codec_type": "audio", "codec_name": "aac"},
              {"index": 1, "codec_type": "video", "codec_name": "mjpeg", "width": 600, "height": 600, "disposition": {"attached_pic": 1}},
              {"index": 2, "codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720, "pix_fmt": "yuv420p",
               "avg_frame_rate": "30000/1001", "nb_frames": "300", "duration": "10.010000"}],
             "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "10.5"}}
            """);

        Assert.Equal(2, info.StreamIndex);
        Assert.Equal("h264", info.Codec);
        Assert.Equal((1280, 720), (info.Width, info.Height));
        Assert.Equal(300, info.FrameCount);
        Assert.Equal(30000 / 1001.0, info.Fps, 9);
        Assert.Equal(10.01, info.DurationSeconds, 9);
        Assert.False(info.HasAlpha);
    }

    [Theory]
    [InlineData("\"side_data_list\": [{\"side_data_type\": \"Display Matrix\", \"rotation\": -90}]", 270)]
    [InlineData("\"side_data_list\": [{\"side_data_type\": \"Display Matrix\", \"rotation\": 90}]", 90)]
    [InlineData("\"side_data_list\": [{\"side_data_type\": \"Display Matrix\", \"rotation\": 180}]", 180)]
    [InlineData("\"tags\": {\"rotate\": \"270\"}", 270)]
    [InlineData("\"tags\": {\"language\": \"und\"}", 0)]
    public void Parse_Rotation_NormalisedAndSwapsDisplaySize(string rotationJson, int expected)
    {
        VideoInfo info = Parse($$"""
            {"streams": [{"index": 0, "codec_type": "video", "width": 320, "height": 240, "nb_frames": "5", {{rotationJson}}}]}
            """);

        Assert.Equal(expected, info.Rotation);
        Assert.Equal(expected % 180 == 0 ? (320, 240) : (240, 320), (info.DisplayWidth, info.DisplayHeight));
    }

    [Fact]
    public void Parse_NoFrameCountOrDuration_FallsBack()
    {
        VideoInfo info = Parse("""
            {"streams": [{"index": 0, "codec_type": "video", "width": 64, "height": 48, "avg_frame_rate": "0/0", "r_frame_rate": "25/1"}],
             "format": {"format_name": "matroska,webm", "duration": "3.2"}}
            """);

        Assert.Equal(0, info.FrameCount); // counted by a second ffprobe pass
        Assert.Equal(25, info.Fps);
        Assert.Equal(3.2, info.DurationSeconds, 9);
    }

    [Theory]
    [InlineData("yuva420p", true)]
    [InlineData("rgba", true)]
    [InlineData("bgra", true)]
    [InlineData("gbrap", true)]
    [InlineData("ya8", true)]
    [InlineData("pal8", true)]
    [InlineData("yuv420p", false)]
    [InlineData("gray", false)]
    [InlineData("rgb24", false)]
    [InlineData("yuv444p10le", false)]
    public void HasAlpha_PixelFormat(string pixelFormat, bool expected)
    {
        var info = new VideoInfo(0, "x", "y", 8, 8, pixelFormat, 0, 1, 1, 1);

        Assert.Equal(expected, info.HasAlpha);
    }

    [Fact]
    public void Parse_AudioOnly_NoVideoStream()
    {
        var e = Assert.Throws<MediaException>(() => Parse("""{"streams": [{"index": 0, "codec_type": "audio"}], "format": {}}"""));

        Assert.Equal(MediaErrorKind.NoVideoStream, e.Kind);
    }

    [Fact]
    public void Parse_NoSize_CorruptStream()
    {
        var e = Assert.Throws<MediaException>(() => Parse("""{"streams": [{"index": 0, "codec_type": "video", "width": 0}]}"""));

        Assert.Equal(MediaErrorKind.CorruptStream, e.Kind);
    }

    [Fact]
    public void Parse_NotJson_NotAVideo()
    {
        var e = Assert.Throws<MediaException>(() => Parse("this is not json"));

        Assert.Equal(MediaErrorKind.NotAVideo, e.Kind);
    }

    private static VideoInfo Parse(string json) => VideoProbe.Parse(Encoding.UTF8.GetBytes(json));
}
