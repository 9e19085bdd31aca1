// Process lifetime: stand-in ffprobe/ffmpeg scripts that hang (with a grandchild), so a timeout or a cancellation is
// certain to be what ends them; the whole tree must be dead afterwards. Also output that is not PAM.
using Xunit;

namespace DyCoke.Media.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ToolProcessTests(TestVideos videos) : ToolScriptTests
{
    [Fact]
    public async Task LoadAsync_ProbeHangsPastDecodeTimeout_TimeoutAndTreeKilled()
    {
        string ffprobe = HangingTool("ffprobe");
        MediaOptions options = Sandbox.Options() with { FfprobePath = ffprobe, DecodeTimeout = TimeSpan.FromMilliseconds(500) };
        using var loader = new VideoLoader(options);

        var e = await Assert.ThrowsAsync<MediaException>(() => loader.LoadAsync(new VideoRequest(Serve()), TestContext.Current.CancellationToken));

        Assert.Equal(MediaErrorKind.Timeout, e.Kind);
        Assert.Equal(504, e.HttpStatus);
        AssertGrandchildGone();
        Sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_CallerCancelsDuringDecode_CanceledAndTreeKilled()
    {
        string ffmpeg = HangingTool("ffmpeg");
        using var loader = new VideoLoader(Sandbox.Options() with { FfmpegPath = ffmpeg });
        string url = Serve();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        Task<VideoFrames> load = loader.LoadAsync(new VideoRequest(url), cancel.Token);
        await WaitForFileAsync(Path.Combine(Tools, "child.pid"));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => load);
        AssertGrandchildGone();
        Sandbox.AssertClean();
        Assert.Equal(0, loader.Pool.Admitted);
    }

    [Fact]
    public async Task LoadAsync_DecoderWritesGarbage_CorruptStream()
    {
        string ffmpeg = Script("ffmpeg", "echo 'this is not a PAM image'");
        using var loader = new VideoLoader(Sandbox.Options() with { FfmpegPath = ffmpeg });

        var e = await Assert.ThrowsAsync<MediaException>(() => loader.LoadAsync(new VideoRequest(Serve()), TestContext.Current.CancellationToken));

        Assert.Equal(MediaErrorKind.CorruptStream, e.Kind);
        Sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_MissingExecutable_InvalidOperationNamingIt()
    {
        using var loader = new VideoLoader(Sandbox.Options() with { FfprobePath = Path.Combine(Tools, "no-such-ffprobe") });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => loader.LoadAsync(new VideoRequest(Serve()), TestContext.Current.CancellationToken));

        Assert.Contains("no-such-ffprobe", e.Message);
        Sandbox.AssertClean();
    }

    [Fact]
    public void Arguments_NoShellAndRestrictedInput()
    {
        var info = new VideoInfo(0, "h264", "mov", 320, 240, "yuv420p", 0, 50, 25, 2);

        List<string> arguments = FrameDecoder.Arguments(new MediaOptions(), "/tmp/x y;rm -rf", info, [0, 7, 49]);

        Assert.Contains("file:/tmp/x y;rm -rf", arguments); // one argv entry, never shell-parsed
        Assert.Equal("file", arguments[arguments.IndexOf("-protocol_whitelist") + 1]);
        Assert.DoesNotContain("hls", arguments[arguments.IndexOf("-format_whitelist") + 1].Split(','));
        Assert.Equal("select='eq(n,0)+eq(n,7)+eq(n,49)'", arguments[arguments.IndexOf("-vf") + 1]);
        Assert.Equal("3", arguments[arguments.IndexOf("-frames:v") + 1]);
        Assert.Equal("rgb24", arguments[arguments.IndexOf("-pix_fmt") + 1]);
    }

    private string Serve()
    {
        Server.Bytes("/v.mp4", File.ReadAllBytes(videos.H264.Path));
        return Server.Url("/v.mp4");
    }

    /// <summary>A script named like the tool that starts a long sleep as its own child, records its pid, and waits.</summary>
    private string HangingTool(string name) => Script(name, $"sleep 600 &\necho $! > '{Tools}/child.pid'\nwait");

    private static async Task WaitForFileAsync(string path)
    {
        for (int i = 0; i < 500 && !(File.Exists(path) && new FileInfo(path).Length > 0); i++) await Task.Delay(20);
        Assert.True(File.Exists(path), "the stand-in tool never started");
    }

    /// <summary>The script's sleeping child must be dead too (gone, or a zombie awaiting its new parent's reaping).</summary>
    private void AssertGrandchildGone()
    {
        string pidFile = Path.Combine(Tools, "child.pid");
        Assert.True(File.Exists(pidFile), "the stand-in tool never started its child");
        string pid = File.ReadAllText(pidFile).Trim();
        string stat = Path.Combine("/proc", pid, "stat");
        for (int i = 0; i < 100 && File.Exists(stat) && !IsZombie(stat); i++) Thread.Sleep(20);
        Assert.True(!File.Exists(stat) || IsZombie(stat), $"grandchild {pid} is still running");
    }

    private static bool IsZombie(string stat)
    {
        try
        {
            string text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true; // gone while reading
        }
    }
}
