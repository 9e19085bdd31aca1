// The "Media" section: limits on video input that request validation enforces (frames, fps, videos per request).
namespace DyCoke.Server.Options;

/// <summary>Video input limits.</summary>
public sealed record MediaSettings
{
    public const string Section = "Media";

    /// <summary>Frames sampled per video when the request does not say.</summary>
    public int DefaultFrames { get; init; } = 32;

    /// <summary>The most frames a request may ask for.</summary>
    public int MaxFrames { get; init; } = 64;

    /// <summary>The highest sampling rate a request may ask for.</summary>
    public double MaxFps { get; init; } = 30;

    public int MaxVideosPerRequest { get; init; } = 4;
}
