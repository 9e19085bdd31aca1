// Server-side limits and switches for video input. Every default is the safe one: https and data: only, no file
// roots, SSRF guard on, caps on bytes, time, duration, resolution and frames (openai-api.md §4.2).
namespace DyCoke.Media;

/// <summary>Configuration of <see cref="VideoLoader"/>. Call <see cref="Validate"/> (the loader does) before use.</summary>
public sealed record MediaOptions
{
    /// <summary>Frames sampled when the request names neither a frame count nor an fps (LLaVA-OneVision evaluation uses 32).</summary>
    public int DefaultFrames { get; init; } = 32;

    /// <summary>Most frames one video may be sampled into; larger requests are refused, never clamped.</summary>
    public int MaxFrames { get; init; } = 64;

    /// <summary>Highest sampling rate a request may ask for, in frames per second.</summary>
    public double MaxFps { get; init; } = 30;

    /// <summary>Longest video accepted, in seconds.</summary>
    public double MaxDurationSeconds { get; init; } = 600;

    /// <summary>Most frames a video stream may hold (bounds the decode work, which reads every frame up to the last sampled one).</summary>
    public int MaxSourceFrames { get; init; } = 36_000;

    /// <summary>Largest frame width or height accepted, in pixels.</summary>
    public int MaxFrameSide { get; init; } = 4096;

    /// <summary>Largest download, decoded <c>data:</c> payload or file, in bytes.</summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Time allowed to resolve a host and open a TCP connection (per hop).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for the whole download, redirects included.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for probing plus decoding one video.</summary>
    public TimeSpan DecodeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Redirects followed per download; each hop is re-checked.</summary>
    public int MaxRedirects { get; init; } = 3;

    /// <summary>Enabled URL schemes, lower case: any of <c>https</c>, <c>http</c>, <c>data</c>, <c>file</c>.</summary>
    public IReadOnlyList<string> AllowedSchemes { get; init; } = ["https", "data", "file"];

    /// <summary>Directories <c>file:</c> URLs may read from (after resolving symlinks). Empty: <c>file:</c> is refused.</summary>
    public IReadOnlyList<string> FileRoots { get; init; } = [];

    /// <summary>If not empty, the only host names http(s) URLs and redirects may name (exact, case-insensitive).</summary>
    public IReadOnlyList<string> AllowedDomains { get; init; } = [];

    /// <summary>Lets loopback addresses through the SSRF guard so tests can use a local server. Never set in production.</summary>
    public bool AllowLoopbackForTests { get; init; }

    /// <summary>Videos probed and decoded at the same time.</summary>
    public int DecodeWorkers { get; init; } = 2;

    /// <summary>Videos that may wait for a decode worker; beyond this a request fails with <see cref="MediaErrorKind.QueueFull"/>.</summary>
    public int DecodeQueueLimit { get; init; } = 16;

    /// <summary>
    /// Probes kept by the SHA-256 of the video's bytes, so a video sent again skips ffprobe (a process start of ~100 ms
    /// CPU with Debian's ffmpeg); 0 turns the cache off. Each entry is a few hundred bytes.
    /// </summary>
    public int ProbeCacheEntries { get; init; } = 1024;

    /// <summary>
    /// Bytes of preprocessed frames kept by the video's SHA-256 and the frame indices, so the same video sampled the
    /// same way again skips ffmpeg too (1.8 MB per frame: 256 MiB holds 18 videos of 8 frames or 4 of 32); 0 turns the
    /// cache off.
    /// </summary>
    public long FrameCacheBytes { get; init; } = 256L << 20;

    /// <summary>Frame index rule used when the request does not pick one.</summary>
    public FrameSamplingRule DefaultSamplingRule { get; init; } = FrameSamplingRule.Linspace;

    /// <summary>
    /// ffmpeg demuxers ffprobe/ffmpeg may use (<c>-format_whitelist</c>). Playlist, concat and image-sequence demuxers
    /// are left out on purpose: they open further files or URLs named inside the input.
    /// </summary>
    public IReadOnlyList<string> AllowedContainers { get; init; } =
        ["mov", "matroska", "avi", "flv", "mpegts", "mpeg", "ogg", "asf", "ivf", "m4v", "h264", "hevc", "gif", "nut"];

    /// <summary>The ffmpeg executable (a name looked up on PATH, or a full path).</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";

    /// <summary>The ffprobe executable.</summary>
    public string FfprobePath { get; init; } = "ffprobe";

    /// <summary>Where downloads and decoded <c>data:</c> payloads are staged (deleted after each request); null: the system temp folder.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Positive(DefaultFrames, nameof(DefaultFrames));
        Positive(MaxFrames, nameof(MaxFrames));
        if (DefaultFrames > MaxFrames)
            throw new ArgumentException($"{nameof(DefaultFrames)} ({DefaultFrames}) must not exceed {nameof(MaxFrames)} ({MaxFrames})");
        if (!(MaxFps > 0) || double.IsInfinity(MaxFps)) throw new ArgumentException($"{nameof(MaxFps)} must be a positive number, got {MaxFps}");
        if (!(MaxDurationSeconds > 0)) throw new ArgumentException($"{nameof(MaxDurationSeconds)} must be positive, got {MaxDurationSeconds}");
        Positive(MaxSourceFrames, nameof(MaxSourceFrames));
        Positive(MaxFrameSide, nameof(MaxFrameSide));
        if (MaxBytes <= 0) throw new ArgumentException($"{nameof(MaxBytes)} must be positive, got {MaxBytes}");
        PositiveTime(ConnectTimeout, nameof(ConnectTimeout));
        PositiveTime(DownloadTimeout, nameof(DownloadTimeout));
        PositiveTime(DecodeTimeout, nameof(DecodeTimeout));
        if (MaxRedirects < 0) throw new ArgumentException($"{nameof(MaxRedirects)} must not be negative, got {MaxRedirects}");
        Positive(DecodeWorkers, nameof(DecodeWorkers));
        if (FrameCacheBytes < 0) throw new ArgumentException($"{nameof(FrameCacheBytes)} must not be negative, got {FrameCacheBytes}");
        if (ProbeCacheEntries < 0) throw new ArgumentException($"{nameof(ProbeCacheEntries)} must not be negative, got {ProbeCacheEntries}");
        if (DecodeQueueLimit < 0) throw new ArgumentException($"{nameof(DecodeQueueLimit)} must not be negative, got {DecodeQueueLimit}");
        foreach (string scheme in AllowedSchemes)
        {
            if (scheme is not ("https" or "http" or "data" or "file"))
                throw new ArgumentException($"{nameof(AllowedSchemes)}: unknown scheme '{scheme}' (known: https, http, data, file; lower case)");
        }
        foreach (string root in FileRoots)
        {
            if (!Path.IsPathFullyQualified(root))
                throw new ArgumentException($"{nameof(FileRoots)}: '{root}' is not an absolute path");
        }
        if (AllowedContainers.Count == 0) throw new ArgumentException($"{nameof(AllowedContainers)} must name at least one demuxer");
        foreach (string name in AllowedContainers)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ArgumentException($"{nameof(AllowedContainers)}: '{name}' is not a demuxer name");
        }
    }

    internal bool IsSchemeAllowed(string scheme) => AllowedSchemes.Contains(scheme, StringComparer.Ordinal);

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}");
    }

    private static void PositiveTime(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be positive, got {value}");
    }
}
