// Small test videos generated once per test run with ffmpeg (testsrc2): several codecs, containers, sizes and frame
// rates, a grayscale, an alpha and a rotated one, plus broken inputs (corrupt, truncated, audio-only, random bytes, a
// PNG image, an HLS playlist). Deleted when the run ends.
using System.Diagnostics;
using Xunit;

[assembly: AssemblyFixture(typeof(DyCoke.Media.Tests.TestVideos))]
// Process-hygiene assertions look at every ffmpeg child of this process, so tests must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DyCoke.Media.Tests;

/// <summary>A generated clip: its file and what it was made with.</summary>
public sealed record TestClip(string Path, int Width, int Height, int Frames, double Fps, string Codec);

public sealed class TestVideos : IDisposable
{
    public TestVideos()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dycoke-media-videos-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);

        H264 = Encode("h264.mp4", "testsrc2=size=320x240:rate=25:duration=2", 320, 240, 50, 25, "h264",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart");
        Vp9OddSize = Encode("vp9.webm", "testsrc2=size=321x241:rate=30:duration=1,format=rgb24", 321, 241, 30, 30, "vp9",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-pix_fmt", "yuv420p");
        Mpeg4Avi = Encode("mpeg4.avi", "testsrc2=size=176x144:rate=12:duration=2", 176, 144, 24, 12, "mpeg4", "-c:v", "mpeg4", "-q:v", "3");
        H264Mkv = Encode("h264.mkv", "testsrc2=size=256x144:rate=24000/1001:duration=1.5", 256, 144, 36, 24000 / 1001.0, "h264",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        Gray = Encode("gray.mkv", "testsrc2=size=160x120:rate=10:duration=2", 160, 120, 20, 10, "ffv1", "-c:v", "ffv1", "-pix_fmt", "gray");
        Alpha = Encode("alpha.mkv",
            "testsrc2=size=200x150:rate=10:duration=1,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='255*X/(W-1)'",
            200, 150, 10, 10, "ffv1", "-c:v", "ffv1", "-pix_fmt", "bgra");
        Unrotated = Encode("unrotated.mp4", "testsrc2=size=96x64:rate=10:duration=1", 96, 64, 10, 10, "h264",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p");
        Rotated = Derive("rotated.mp4", Unrotated, "-c", "copy", "-metadata:s:v:0", "rotate=90");
        Large = Encode("large.mp4", "testsrc2=size=640x480:rate=10:duration=1", 640, 480, 10, 10, "h264",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");

        AudioOnly = Generate("audio.m4a", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac");
        Png = Generate("image.png", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1");
        Truncated = WriteBytes("truncated.mp4", File.ReadAllBytes(H264.Path)[..(int)(new FileInfo(H264.Path).Length * 6 / 10)]);
        Corrupt = WriteBytes("corrupt.mp4", Garble(File.ReadAllBytes(H264.Path)));
        Garbage = WriteBytes("garbage.bin", RandomBytes(50_000, seed: 7));
        HlsPlaylist = WriteBytes("playlist.m3u8", System.Text.Encoding.ASCII.GetBytes(
            $"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://{H264.Path}\n#EXT-X-ENDLIST\n"));
    }

    public string Directory { get; }

    public TestClip H264 { get; }
    public TestClip Vp9OddSize { get; }
    public TestClip Mpeg4Avi { get; }
    public TestClip H264Mkv { get; }
    public TestClip Gray { get; }
    public TestClip Alpha { get; }
    public TestClip Unrotated { get; }
    public TestClip Rotated { get; }
    public TestClip Large { get; }
    public string AudioOnly { get; }
    public string Png { get; }
    public string Truncated { get; }
    public string Corrupt { get; }
    public string Garbage { get; }
    public string HlsPlaylist { get; }

    /// <summary>Every frame of <paramref name="path"/> decoded by a plain ffmpeg run: [T][H * W * C] RGB (C = 3) or RGBA (C = 4) bytes.</summary>
    public static byte[][] DecodeAllFrames(string path, int width, int height, int channels = 3)
    {
        string format = channels == 4 ? "rgba" : "rgb24";
        byte[] raw = RunFfmpeg(["-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough", "-pix_fmt", format, "-f", "rawvideo", "pipe:1"]);
        int frameBytes = width * height * channels;
        Assert.Equal(0, raw.Length % frameBytes);
        return Enumerable.Range(0, raw.Length / frameBytes).Select(i => raw.AsSpan(i * frameBytes, frameBytes).ToArray()).ToArray();
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }

    private TestClip Encode(string name, string source, int width, int height, int frames, double fps, string codec, params string[] encoder)
    {
        string path = Generate(name, ["-f", "lavfi", "-i", source, .. encoder]);
        return new TestClip(path, width, height, frames, fps, codec);
    }

    private TestClip Derive(string name, TestClip original, params string[] arguments)
    {
        string path = Generate(name, ["-i", original.Path, .. arguments]);
        return original with { Path = path };
    }

    private string Generate(string name, params string[] arguments)
    {
        string path = System.IO.Path.Combine(Directory, name);
        RunFfmpeg(["-v", "error", "-y", .. arguments, path]);
        return path;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Overwrites every 97th byte of the media data with noise, leaving the headers readable.</summary>
    private static byte[] Garble(byte[] bytes)
    {
        byte[] noise = RandomBytes(bytes.Length, seed: 1);
        for (int i = 3000; i < bytes.Length - 100; i += 97) bytes[i] = noise[i];
        return bytes;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] RunFfmpeg(string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start ffmpeg");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {stderr.Result}");
        return stdout.ToArray();
    }
}
