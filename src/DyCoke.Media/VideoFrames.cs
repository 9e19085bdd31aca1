// The result of loading one video: model-ready pixels [F, 3, 384, 384] in a plain float array (DyCoke.Media knows no
// tensor type), the frame indices they came from, and what the source was (for logs, metrics and token estimates).
namespace DyCoke.Media;

/// <summary>Preprocessed frames of one video plus facts about its source.</summary>
public sealed class VideoFrames
{
    /// <summary>Side length of every output frame (SigLIP so400m-patch14-384).</summary>
    public const int FrameSize = FramePreprocessor.Size;

    internal VideoFrames(float[] pixels, int[] frameIndices, VideoInfo info, TimeSpan fetchTime, TimeSpan queueTime, TimeSpan decodeTime)
    {
        Pixels = pixels;
        FrameIndices = frameIndices;
        TotalFrames = info.FrameCount;
        Fps = info.Fps;
        DurationSeconds = info.DurationSeconds;
        SourceWidth = info.DisplayWidth;
        SourceHeight = info.DisplayHeight;
        Rotation = info.Rotation;
        Codec = info.Codec;
        Container = info.Container;
        FetchTime = fetchTime;
        QueueTime = queueTime;
        DecodeTime = decodeTime;
    }

    /// <summary>Whether the source's probe came from the loader's cache of earlier, byte-identical videos (no ffprobe run).</summary>
    public bool ProbeCached { get; init; }

    /// <summary>Whether the pixels came from the loader's cache of earlier, byte-identical videos at the same frame indices (no ffmpeg run).</summary>
    public bool FramesCached { get; init; }

    /// <summary>
    /// Pixels <c>[F, 3, 384, 384]</c>, RGB planes, values (x/255 - 0.5) / 0.5 in [-1, 1] as HF's processor computes them.
    /// Read-only: the loader's frame cache may hand the same pixels to later requests for the same video.
    /// </summary>
    public ReadOnlyMemory<float> Pixels { get; } // [F, 3, 384, 384]

    /// <summary>F, the number of frames.</summary>
    public int NumFrames => FrameIndices.Count;

    /// <summary>Source frame number of each output frame (ascending; repeats when F exceeds the source's frame count).</summary>
    public IReadOnlyList<int> FrameIndices { get; } // [F]

    /// <summary>T, frames in the source video stream.</summary>
    public int TotalFrames { get; }

    /// <summary>Average source frame rate (0 when the container does not say).</summary>
    public double Fps { get; }

    /// <summary>Source duration in seconds.</summary>
    public double DurationSeconds { get; }

    /// <summary>Source width as displayed (after rotation), in pixels.</summary>
    public int SourceWidth { get; }

    /// <summary>Source height as displayed (after rotation), in pixels.</summary>
    public int SourceHeight { get; }

    /// <summary>Rotation metadata applied, in degrees (0, 90, 180, 270).</summary>
    public int Rotation { get; }

    /// <summary>Video codec name, e.g. h264.</summary>
    public string Codec { get; }

    /// <summary>Container (ffmpeg demuxer) name.</summary>
    public string Container { get; }

    /// <summary>Time spent fetching (download, data: decode or file lookup).</summary>
    public TimeSpan FetchTime { get; }

    /// <summary>Time spent waiting for a decode worker.</summary>
    public TimeSpan QueueTime { get; }

    /// <summary>Time spent probing, decoding and preprocessing.</summary>
    public TimeSpan DecodeTime { get; }

    /// <summary>The <c>[3, 384, 384]</c> slice of frame <paramref name="frame"/>.</summary>
    public ReadOnlySpan<float> Frame(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, NumFrames);
        const int size = 3 * FrameSize * FrameSize;
        return Pixels.Span.Slice(frame * size, size);
    }
}
