// A video loader for end-to-end tests of the video path without network or ffmpeg: "synthetic://SEED" gives
// deterministic frames [F, 3, S, S] (F from media_io_kwargs or 2). Only the media layer is replaced; the mapper,
// engine and model run for real.
using DyCoke.Server.Mapping;
using DyCoke.Tensors;

namespace DyCoke.Server.Tests.EndToEnd;

internal sealed class SyntheticVideoLoader(int imageSize) : IVideoLoader
{
    public const string Scheme = "synthetic://";

    public Task<Tensor> LoadAsync(VideoInput input, CancellationToken cancellationToken)
    {
        if (!input.Url.StartsWith(Scheme, StringComparison.Ordinal) || !int.TryParse(input.Url.AsSpan(Scheme.Length), out int seed))
            throw ApiException.BadRequest("The URL must be synthetic://SEED in this test server.", "video_url.url");
        int frames = input.NumFrames ?? 2;
        var rng = new Random(seed);
        var values = new float[frames * 3 * imageSize * imageSize]; // [F·3·S·S]
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return Task.FromResult(Tensor.FromArray(values, new Shape(frames, 3, imageSize, imageSize)));
    }
}
