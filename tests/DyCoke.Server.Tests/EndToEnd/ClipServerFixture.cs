// A server on the real media path for the resource-accounting tests: a file root holding a few tiny clips made by
// ffmpeg (different sources, lengths and containers, plus one long clip whose decode takes a while), a private staging
// folder for data: payloads, a decode line and engine queue long enough for 64 requests at once, and a recorder of
// every response status. Its tests run alone (no parallel test may start ffmpeg or allocate tensors meanwhile).
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>Tests that count processes, files and memory process-wide; xunit runs them after all parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResourceAccountingCollection
{
    public const string Name = "Resource accounting";
}

/// <summary>One clip in the file root: its file name and MIME type.</summary>
public sealed record Clip(string FileName, string Mime);

public sealed class ClipServerFixture : ServerFixture
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"dycoke-clips-{Guid.NewGuid():N}");

    /// <summary>Small clips for the concurrent round, each with a different source pattern, length and container.</summary>
    public static readonly Clip[] Clips =
    [
        new("testsrc.mp4", "video/mp4"),
        new("mandelbrot.mkv", "video/x-matroska"),
        new("testsrc2.avi", "video/x-msvideo"),
        new("smptebars.mp4", "video/mp4"),
    ];

    /// <summary>A 6000-frame clip: decoding up to its last frame keeps ffmpeg busy for a second or more.</summary>
    public static readonly Clip SlowClip = new("slow.mp4", "video/mp4");

    public ClipServerFixture()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Staging);
        // mpeg4 is ffmpeg's own encoder, present in every build (libx264 is not).
        Ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", "mpeg4", "-pix_fmt", "yuv420p", PathOf(Clips[0]));
        Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=64x48:rate=10", "-t", "2", "-c:v", "mpeg4", "-pix_fmt", "yuv420p", PathOf(Clips[1]));
        Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=12:duration=1.5", "-c:v", "mpeg4", "-pix_fmt", "yuv420p", PathOf(Clips[2]));
        Ffmpeg("-f", "lavfi", "-i", "smptebars=size=64x48:rate=8:duration=2", "-c:v", "mpeg4", "-pix_fmt", "yuv420p", PathOf(Clips[3]));
        // One encoded second repeated 240 times without re-encoding: 6000 frames for the price of 25.
        string second = Path.Combine(_dir, "second.mp4");
        Ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=1", "-c:v", "mpeg4", "-q:v", "31", "-pix_fmt", "yuv420p", second);
        Ffmpeg("-stream_loop", "239", "-i", second, "-c", "copy", PathOf(SlowClip));
    }

    /// <summary>The media root the server reads file: URLs from.</summary>
    public string Root => Path.Combine(_dir, "root");

    /// <summary>Media:TempDirectory: where the server stages data: payloads; empty whenever no request is in flight.</summary>
    public string Staging => Path.Combine(_dir, "staging");

    public StatusRecorder Recorder { get; } = new();

    public string PathOf(Clip clip) => Path.Combine(Root, clip.FileName);

    public string FileUrl(Clip clip) => new Uri(PathOf(clip)).AbsoluteUri;

    public string DataUrl(Clip clip) => $"data:{clip.Mime};base64,{Convert.ToBase64String(File.ReadAllBytes(PathOf(clip)))}";

    protected override string[] ExtraArgs =>
    [
        "--Media:FileRoots:0", Root,
        "--Media:TempDirectory", Staging,
        // 64 videos at once must wait for a decode worker, not be refused with 503.
        "--Media:DecodeQueueLimit", "128",
        "--Scheduler:MaxQueuedRequests", "256",
        // The slow clip as a data: URL is about 4 MB of base64.
        "--Server:MaxRequestBodyBytes", "16777216",
        // Every video must go through ffmpeg here (these tests kill it mid-decode and count its children), and a
        // frame cache that fills up would read as heap growth; the cache has its own tests (DyCoke.Media.Tests).
        "--Media:FrameCacheBytes", "0",
    ];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IStartupFilter>(Recorder);

    protected override void DeleteFiles() => Directory.Delete(_dir, recursive: true);

    private static void Ffmpeg(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in (string[])["-hide_banner", "-loglevel", "error", "-nostdin", "-y", .. arguments]) start.ArgumentList.Add(a);
        using var ffmpeg = Process.Start(start)!;
        string errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {errors}");
    }
}
