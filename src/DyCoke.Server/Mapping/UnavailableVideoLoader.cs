// The video loader of a build without DyCoke.Media: every video part is refused with a clear 400 naming the part.
using DyCoke.Tensors;

namespace DyCoke.Server.Mapping;

/// <summary>Refuses video input; replaced by the DyCoke.Media loader when that project is part of the build.</summary>
public sealed class UnavailableVideoLoader : IVideoLoader
{
    public Task<Tensor> LoadAsync(VideoInput input, CancellationToken cancellationToken) =>
        throw ApiException.BadRequest("video input not available in this build (the media pipeline is not included)", "messages", "video_unsupported");
}
