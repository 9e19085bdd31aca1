// The entry point of DyCoke.Media: one video_url in, [F, 3, 384, 384] pixels out. Order matters for safety and cost:
// sampling parameters are checked before anything is fetched, a place in the decode line is taken before the download,
// the probe's size/duration caps run before decoding, and the staged file is deleted whatever happens.
using System.Diagnostics;

namespace DyCoke.Media;

/// <summary>Loads videos safely and turns them into LLaVA-OneVision pixels. Thread-safe; share one per server.</summary>
public sealed class VideoLoader : IDisposable
{
    private readonly MediaOptions _options;
    private readonly MediaSources _sources;
    private readonly ContentCache<VideoInfo>? _probes; // null when MediaOptions.ProbeCacheEntries is 0
    private readonly ContentCache<float[]>? _frames; // [F, 3, 384, 384] by content and frame indices; null when FrameCacheBytes is 0

    /// <summary>Creates the loader. Throws <see cref="ArgumentException"/> when <paramref name="options"/> is invalid.</summary>
    public VideoLoader(MediaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _sources = new MediaSources(options);
        Pool = new DecodePool(options.DecodeWorkers, options.DecodeQueueLimit);
        _probes = options.ProbeCacheEntries > 0 ? new ContentCache<VideoInfo>(options.ProbeCacheEntries, _ => 1) : null;
        _frames = options.FrameCacheBytes > 0 ? new ContentCache<float[]>(options.FrameCacheBytes, pixels => (long)pixels.Length * sizeof(float)) : null;
    }

    /// <summary>Loads whose probe came from the cache (no ffprobe run), and loads that probed; both 0 without the cache.</summary>
    public (long Hits, long Misses) ProbeCacheCounts => _probes is null ? (0, 0) : (_probes.Hits, _probes.Misses);

    /// <summary>Loads whose frames came from the cache (no ffmpeg run), and loads that decoded; both 0 without the cache.</summary>
    public (long Hits, long Misses) FrameCacheCounts => _frames is null ? (0, 0) : (_frames.Hits, _frames.Misses);

    /// <summary>The decode worker pool (for metrics: admitted and running counts).</summary>
    public DecodePool Pool { get; }

    /// <summary>
    /// Fetches, probes, samples, decodes and preprocesses the video of <paramref name="request"/>.
    /// Throws <see cref="MediaException"/> for every refusal or failure (see <see cref="MediaErrorKind"/>), and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires; in every case any
    /// ffmpeg process has been killed and any staged file deleted before it returns.
    /// </summary>
    public async Task<VideoFrames> LoadAsync(VideoRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        FrameSampler.Validate(request, _options);
        using DecodePool.Ticket ticket = Pool.Enter();

        var clock = Stopwatch.StartNew();
        using MediaFile file = await _sources.OpenAsync(request.Url, cancellationToken);
        TimeSpan fetchTime = clock.Elapsed;

        await ticket.WaitForWorkerAsync(cancellationToken);
        TimeSpan queueTime = clock.Elapsed - fetchTime;

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.DecodeTimeout);
        try
        {
            string? key = _probes is null && _frames is null ? null : await ContentHash.OfFileAsync(file.Path, deadline.Token);
            var (info, probeCached) = await ProbeAsync(file.Path, key, deadline.Token);
            CheckLimits(info);
            int count = FrameSampler.FrameCount(request, _options, info.DurationSeconds);
            int[] indices = FrameSampler.Indices(info.FrameCount, count, request.Rule ?? _options.DefaultSamplingRule); // [F]
            var (pixels, framesCached) = await FramesAsync(file.Path, key, info, indices, deadline.Token); // [F, 3, 384, 384]
            return new VideoFrames(pixels, indices, info, fetchTime, queueTime, clock.Elapsed - fetchTime - queueTime)
            {
                ProbeCached = probeCached,
                FramesCached = framesCached,
            };
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MediaException(MediaErrorKind.Timeout,
                $"Decoding the video took longer than {_options.DecodeTimeout.TotalSeconds:0.#} s; send a shorter or smaller video.",
                MediaParams.Url, inner: e);
        }
    }

    // The probe of these bytes, from the cache when the same content was probed before (see ProbeCache). A failed probe
    // is not stored: the next request with those bytes fails the same way, through ffprobe.
    private async Task<(VideoInfo Info, bool Cached)> ProbeAsync(string path, string? key, CancellationToken cancellationToken)
    {
        if (_probes is null || key is null) return (await VideoProbe.RunAsync(_options, path, cancellationToken), false);
        if (_probes.TryGet(key, out var cached)) return (cached, true);
        VideoInfo info = await VideoProbe.RunAsync(_options, path, cancellationToken);
        _probes.Add(key, info);
        return (info, false);
    }

    // The preprocessed frames of these bytes at these indices, from the cache when they were decoded before (see
    // ContentCache). Cached pixels are shared, not copied: VideoFrames hands them out read-only.
    private async Task<(float[] Pixels, bool Cached)> FramesAsync(string path, string? key, VideoInfo info, int[] indices, CancellationToken cancellationToken)
    {
        string? frameKey = _frames is null || key is null ? null : key + ":" + string.Join(',', indices);
        if (frameKey is not null && _frames!.TryGet(frameKey, out var cached)) return (cached, true);
        float[] pixels = await DecodeAsync(path, info, indices, cancellationToken);
        if (frameKey is not null) _frames!.Add(frameKey, pixels);
        return (pixels, false);
    }

    private async Task<float[]> DecodeAsync(string path, VideoInfo info, int[] indices, CancellationToken cancellationToken)
    {
        const int frameFloats = 3 * FramePreprocessor.Size * FramePreprocessor.Size;
        int[] unique = indices.Distinct().Order().ToArray(); // [U]
        var pixels = new float[indices.Length * frameFloats]; // [F, 3, 384, 384]
        var preprocessor = new FramePreprocessor();
        await FrameDecoder.DecodeAsync(_options, path, info, unique, (ordinal, header, frame) =>
        {
            // The first output slot taking this source frame gets it computed; repeats are copies.
            int source = unique[ordinal];
            int first = Array.IndexOf(indices, source);
            Span<float> target = pixels.AsSpan(first * frameFloats, frameFloats); // [3, 384, 384]
            preprocessor.Process(frame.Span, header.Width, header.Height, header.Channels, target);
            for (int slot = first + 1; slot < indices.Length && indices[slot] == source; slot++)
                target.CopyTo(pixels.AsSpan(slot * frameFloats, frameFloats));
        }, cancellationToken);
        return pixels;
    }

    private void CheckLimits(VideoInfo info)
    {
        if (info.Width > _options.MaxFrameSide || info.Height > _options.MaxFrameSide)
            throw new MediaException(MediaErrorKind.ResolutionTooLarge,
                $"The video is {info.DisplayWidth}x{info.DisplayHeight} pixels; this server accepts at most {_options.MaxFrameSide} pixels per side.",
                MediaParams.Url);
        if (info.DurationSeconds > _options.MaxDurationSeconds)
            throw new MediaException(MediaErrorKind.TooLong,
                $"The video lasts {info.DurationSeconds:0.#} s; this server accepts at most {_options.MaxDurationSeconds:0.#} s.", MediaParams.Url);
        if (info.FrameCount > _options.MaxSourceFrames)
            throw new MediaException(MediaErrorKind.TooLong,
                $"The video has {info.FrameCount} frames; this server accepts at most {_options.MaxSourceFrames}.", MediaParams.Url);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _sources.Dispose();
        Pool.Dispose();
    }
}
