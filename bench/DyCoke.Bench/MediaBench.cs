// The "media" verb (issue #6): frames/s of DyCoke.Media turning 32 frames of a 1080p, 60 s H.264 clip into
// [32, 3, 384, 384] pixels (probe + select-decode + PIL bicubic + normalise), against one plain ffmpeg command doing
// the same decode and a 384x384 bicubic scale (select=...,scale=384:384:flags=bicubic, rgb24 to a pipe), in one run.
// Target: at least 0.8x ffmpeg's speed.
using System.Diagnostics;
using DyCoke.Media;

namespace DyCoke.Bench;

public static class MediaBench
{
    private const int Frames = 32;

    /// <summary>
    /// Runs the benchmark. Options: <c>--clip PATH</c> an existing video to use (else a 1920x1080, 30 fps, 60 s testsrc2
    /// clip is encoded with libx264 into the temp folder and deleted afterwards), <c>--reps N</c> timed runs of each
    /// side, alternating which goes first (default 3; the median is reported). Returns the exit code.
    /// </summary>
    public static int Run(string[] args)
    {
        var options = new BenchArgs(args, "clip", "reps");
        int reps = options.Int("reps", 3);
        string? clip = options.String("clip");
        bool generated = clip is null;
        try
        {
            if (clip is null)
            {
                clip = Path.Combine(Path.GetTempPath(), $"dycoke-media-bench-{Environment.ProcessId}.mp4");
                Console.WriteLine("encoding a 1920x1080, 30 fps, 60 s testsrc2 clip with libx264 (preset superfast, High profile)...");
                var encode = Stopwatch.StartNew();
                RunFfmpeg(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=60",
                    "-c:v", "libx264", "-preset", "superfast", "-pix_fmt", "yuv420p", clip]);
                Console.WriteLine($"  done in {encode.Elapsed.TotalSeconds:F1} s, {new FileInfo(clip).Length / 1e6:F1} MB");
            }
            clip = Path.GetFullPath(clip);
            return Measure(clip, reps);
        }
        finally
        {
            if (generated && clip is not null) File.Delete(clip);
        }
    }

    private static int Measure(string clip, int reps)
    {
        var mediaOptions = new MediaOptions
        {
            FileRoots = [Path.GetDirectoryName(clip)!],
            DecodeTimeout = TimeSpan.FromMinutes(10),
            MaxFrames = Frames,
            DefaultFrames = Frames,
        };
        using var loader = new VideoLoader(mediaOptions);
        var request = new VideoRequest(new Uri(clip).AbsoluteUri);

        // One untimed run: JIT, page cache, and the frame indices the ffmpeg command must select.
        VideoFrames warm = loader.LoadAsync(request).GetAwaiter().GetResult();
        int[] indices = warm.FrameIndices.ToArray();
        Console.WriteLine($"clip: {warm.SourceWidth}x{warm.SourceHeight} {warm.Codec}, {warm.TotalFrames} frames, {warm.DurationSeconds:F1} s; "
            + $"{Frames} frames at linspace indices {indices[0]}, {indices[1]}, ..., {indices[^1]}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical processors, .NET {Environment.Version}; reps {reps} (median)");

        string filter = FrameDecoder.SelectFilter(indices.Distinct().ToArray()) + ",scale=384:384:flags=bicubic";
        string[] ffmpegArgs = ["-nostdin", "-v", "error", "-i", clip, "-map", "0:v:0", "-vf", filter, "-fps_mode", "passthrough",
            "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"];
        Console.WriteLine($"reference: ffmpeg -i clip -vf \"select='eq(n,{indices[0]})+...',scale=384:384:flags=bicubic\" -pix_fmt rgb24 -f rawvideo pipe:1");

        var ours = new List<double>();
        var theirs = new List<double>();
        var decode = new List<double>();
        for (int rep = 0; rep < reps; rep++)
        {
            // Alternate which side goes first so a drift in machine load does not favour one of them.
            if (rep % 2 == 0) TimeFfmpeg();
            var clock = Stopwatch.StartNew();
            VideoFrames frames = loader.LoadAsync(request).GetAwaiter().GetResult();
            ours.Add(clock.Elapsed.TotalSeconds);
            decode.Add(frames.DecodeTime.TotalSeconds);
            if (frames.NumFrames != Frames) throw new InvalidOperationException($"loader produced {frames.NumFrames} frames");
            if (rep % 2 == 1) TimeFfmpeg();
        }

        void TimeFfmpeg()
        {
            var clock = Stopwatch.StartNew();
            byte[] output = RunFfmpeg(ffmpegArgs);
            theirs.Add(clock.Elapsed.TotalSeconds);
            if (output.Length != Frames * 384 * 384 * 3) throw new InvalidOperationException($"ffmpeg produced {output.Length} bytes");
        }

        double resizeMs = TimeResizeMs(warm.SourceWidth, warm.SourceHeight);
        double oursS = Median(ours), theirsS = Median(theirs);
        Console.WriteLine($"{"pipeline",-52} {"median s",9} {"frames/s",9}");
        Console.WriteLine($"{"ffmpeg select + scale 384x384 bicubic (rgb24)",-52} {theirsS,9:F2} {Frames / theirsS,9:F2}");
        Console.WriteLine($"{"DyCoke.Media VideoLoader (probe+decode+PIL+norm)",-52} {oursS,9:F2} {Frames / oursS,9:F2}");
        Console.WriteLine($"  of which probe+decode+preprocess: {Median(decode):F2} s; PIL bicubic {warm.SourceWidth}x{warm.SourceHeight}->384: {resizeMs:F1} ms/frame");
        Console.WriteLine($"speed relative to ffmpeg: {theirsS / oursS:F2}x (target >= 0.8x)");
        return 0;
    }

    private static double TimeResizeMs(int width, int height)
    {
        var resize = new PilBicubicResize(width, height, 384, 384);
        var source = new byte[width * height * 3]; // [H, W, 3]
        new Random(1).NextBytes(source);
        var target = new byte[384 * 384 * 3]; // [384, 384, 3]
        resize.Resize(source, target);
        var clock = Stopwatch.StartNew();
        const int runs = 8;
        for (int i = 0; i < runs; i++) resize.Resize(source, target);
        return clock.Elapsed.TotalMilliseconds / runs;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
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
        if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {stderr.Result}");
        return stdout.ToArray();
    }
}
