// The seam where media fetching and frame sampling (DyCoke.Media) plug into request mapping: a video_url and the
// request's sampling wishes in, normalised frames out.
using DyCoke.Tensors;

namespace DyCoke.Server.Mapping;

/// <summary>One video part of a request.</summary>
/// <param name="Url">The video_url.url value (http(s), data: or file: URL).</param>
/// <param name="NumFrames">media_io_kwargs.video.num_frames, already checked against the server maximum.</param>
/// <param name="Fps">media_io_kwargs.video.fps, already checked against the server maximum.</param>
/// <param name="Location">Where the part sits in the request (messages[i].content[j]), to prefix error params.</param>
public sealed record VideoInput(string Url, int? NumFrames, double? Fps, string Location = "");

/// <summary>Fetches and decodes videos.</summary>
public interface IVideoLoader
{
    /// <summary>
    /// Host F32 frames [F, 3, S, S] (S the vision tower's image size), normalised for the model; the caller owns
    /// and disposes the tensor.
    /// </summary>
    /// <exception cref="ApiException">The URL is refused, the fetch or decode fails, or a limit is exceeded; the
    /// status and param say which.</exception>
    Task<Tensor> LoadAsync(VideoInput input, CancellationToken cancellationToken);
}
