// The "Media" section as request validation sees it (frames, fps, videos per request). The same section also binds
// DyCoke.Media's MediaOptions (sources, timeouts, sizes, decode pool), so the limits here and there agree.
namespace DyCoke.Server.Options;

/// <summary>Video input limits.</summary>
public sealed record MediaSettings
{
    public const string Section = "Media";

    /// <summary>The most frames a request may ask for.</summary>
    public int MaxFrames { get; init; } = 64;

    /// <summary>The highest sampling rate a request may ask for.</summary>
    public double MaxFps { get; init; } = 30;

    public int MaxVideosPerRequest { get; init; } = 4;
}
