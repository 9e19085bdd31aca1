// Which frames to decode: the per-request count/fps checked against the server's maxima (refused, never clamped), the
// count implied by a probed video, and the two index rules of llava-onevision.md §3 (lmms-eval linspace, HF floor).
namespace DyCoke.Media;

/// <summary>How frame indices are spread over a video of T frames.</summary>
public enum FrameSamplingRule
{
    /// <summary>lmms-eval / original LLaVA-OV: <c>np.linspace(0, T-1, N, dtype=int)</c>; includes the last frame.</summary>
    Linspace,
    /// <summary>Hugging Face processors and model cards: <c>floor(i·T/N)</c> for i = 0..N-1.</summary>
    Floor,
}

/// <summary>What a request asks of one video. Null fields take the server defaults.</summary>
/// <param name="Url">An https/http, <c>data:</c> or <c>file:</c> URL.</param>
public sealed record VideoRequest(string Url)
{
    /// <summary>Frames to sample; with <see cref="Fps"/> it caps the fps-derived count (vLLM semantics).</summary>
    public int? NumFrames { get; init; }

    /// <summary>Sampling rate in frames per second: duration × fps frames.</summary>
    public double? Fps { get; init; }

    /// <summary>Index rule; null uses <see cref="MediaOptions.DefaultSamplingRule"/>.</summary>
    public FrameSamplingRule? Rule { get; init; }
}

/// <summary>Frame counts and indices.</summary>
public static class FrameSampler
{
    /// <summary>
    /// Checks the request's sampling parameters against <paramref name="options"/> before anything is fetched.
    /// Throws <see cref="MediaException"/> (<see cref="MediaErrorKind.TooManyFrames"/>, <see cref="MediaErrorKind.FpsTooHigh"/>,
    /// <see cref="MediaErrorKind.InvalidParameter"/>) naming the limit.
    /// </summary>
    public static void Validate(VideoRequest request, MediaOptions options)
    {
        if (request.NumFrames is int n)
        {
            if (n < 1)
                throw new MediaException(MediaErrorKind.InvalidParameter, $"num_frames must be at least 1, got {n}.", MediaParams.NumFrames);
            if (n > options.MaxFrames)
                throw new MediaException(MediaErrorKind.TooManyFrames,
                    $"num_frames={n} is above this server's limit of {options.MaxFrames} frames per video; ask for at most {options.MaxFrames}.",
                    MediaParams.NumFrames);
        }
        if (request.Fps is double fps)
        {
            if (!double.IsFinite(fps) || fps <= 0)
                throw new MediaException(MediaErrorKind.InvalidParameter, $"fps must be a positive number, got {fps}.", MediaParams.Fps);
            if (fps > options.MaxFps)
                throw new MediaException(MediaErrorKind.FpsTooHigh,
                    $"fps={fps} is above this server's limit of {options.MaxFps} frames per second; ask for at most {options.MaxFps}.",
                    MediaParams.Fps);
        }
    }

    /// <summary>
    /// The number of frames to sample from a video of <paramref name="durationSeconds"/>: <c>num_frames</c>, or
    /// <c>max(1, floor(duration × fps))</c> capped by <c>num_frames</c> when both are given, or the server default.
    /// Throws <see cref="MediaException"/> (<see cref="MediaErrorKind.TooManyFrames"/>) when the fps-derived count exceeds the
    /// server maximum and no <c>num_frames</c> caps it.
    /// </summary>
    public static int FrameCount(VideoRequest request, MediaOptions options, double durationSeconds)
    {
        Validate(request, options);
        if (request.Fps is not double fps) return request.NumFrames ?? options.DefaultFrames;

        double implied = Math.Floor(durationSeconds * fps);
        int count = implied < 1 ? 1 : implied > int.MaxValue ? int.MaxValue : (int)implied;
        if (request.NumFrames is int cap) return Math.Min(cap, count);
        if (count > options.MaxFrames)
            throw new MediaException(MediaErrorKind.TooManyFrames,
                $"fps={fps} on this {durationSeconds:0.##} s video means {count} frames, above this server's limit of {options.MaxFrames}; "
                + $"lower fps or also set num_frames.", MediaParams.Fps);
        return count;
    }

    /// <summary>
    /// <paramref name="count"/> frame indices into a video of <paramref name="totalFrames"/> frames, ascending; they may
    /// repeat when count &gt; totalFrames. Throws <see cref="ArgumentOutOfRangeException"/> if either is below 1.
    /// </summary>
    public static int[] Indices(int totalFrames, int count, FrameSamplingRule rule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalFrames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var indices = new int[count]; // [N]
        if (rule == FrameSamplingRule.Floor)
        {
            for (int i = 0; i < count; i++) indices[i] = (int)((long)i * totalFrames / count);
            return indices;
        }

        // numpy's linspace: step = (stop - start) / (num - 1) in float64, y = i * step, the last sample set to stop
        // exactly, then floored for an integer dtype. The same double operations give the same indices here.
        if (count == 1) return indices;
        double stop = totalFrames - 1;
        double step = stop / (count - 1);
        for (int i = 0; i < count - 1; i++) indices[i] = (int)Math.Floor(i * step);
        indices[count - 1] = totalFrames - 1;
        return indices;
    }
}
