// The production IVideoLoader: DyCoke.Media fetches (http/data/file with its SSRF and size guards), samples and
// preprocesses the frames; this adapter wraps the pixels in a host tensor and turns MediaException into ApiException.
using DyCoke.Media;
using DyCoke.Server.Metrics;
using DyCoke.Tensors;

namespace DyCoke.Server.Mapping;

/// <summary>Loads video_url parts through <see cref="VideoLoader"/>.</summary>
public sealed class MediaVideoLoader(MediaOptions options, ServerMetrics metrics) : IVideoLoader, IDisposable
{
    private readonly VideoLoader _loader = new(options);

    public async Task<Tensor> LoadAsync(VideoInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        VideoFrames frames;
        try
        {
            frames = await _loader.LoadAsync(new VideoRequest(input.Url) { NumFrames = input.NumFrames, Fps = input.Fps }, cancellationToken).ConfigureAwait(false);
        }
        catch (MediaException e)
        {
            // The URL's param names the content part; sampling params are top-level fields already.
            string? param = e.Param == MediaParams.Url && input.Location.Length > 0 ? $"{input.Location}.{e.Param}" : e.Param;
            throw new ApiException(e.HttpStatus, e.Message, param, e.Code);
        }
        metrics.MediaFetchSeconds.Observe(frames.FetchTime.TotalSeconds);
        metrics.MediaDecodeSeconds.Observe(frames.DecodeTime.TotalSeconds);
        metrics.FramesPerVideo.Observe(frames.NumFrames);
        if (frames.ProbeCached) metrics.RecordProbeCacheHit();
        if (frames.FramesCached) metrics.RecordFrameCacheHit();
        int s = VideoFrames.FrameSize;
        return Tensor.FromArray(frames.Pixels.Span, new Shape(frames.NumFrames, 3, s, s)); // [F, 3, S, S]
    }

    public void Dispose() => _loader.Dispose();
}
