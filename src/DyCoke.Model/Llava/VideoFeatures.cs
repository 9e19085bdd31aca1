// The video feature path of LLaVA-OneVision (llava-onevision.md §4.3–4.5): SigLIP per frame → projector → bilinear
// 27×27 → 14×14 pooling → the frames' tokens in order → one image_newline at the end of the video.
using DyCoke.Model.Config;
using DyCoke.Model.Siglip;
using DyCoke.Tensors;

namespace DyCoke.Model.Llava;

/// <summary>Turns one video's frames into the F·196 + 1 embedding rows that replace its <c>&lt;video&gt;</c> placeholders.</summary>
public sealed class VideoFeatures
{
    /// <summary>
    /// Frames encoded together. SigLIP activations grow with the frame count (at 8 frames the MLP buffer alone is
    /// 5832 × 4304 floats, 100 MB), while larger chunks buy little: every GEMM is already 5832 rows tall.
    /// </summary>
    public const int FramesPerChunk = 8;

    private readonly IBackend _backend;
    private readonly DType _activationDType;
    private readonly LlavaOnevisionConfig _config;
    private readonly SiglipVisionTower _visionTower;
    private readonly MultiModalProjector _projector;
    private readonly Tensor _imageNewline; // [C]

    internal VideoFeatures(IBackend backend, DType activationDType, LlavaOnevisionConfig config, SiglipVisionTower visionTower,
        MultiModalProjector projector, Tensor imageNewline)
    {
        _backend = backend;
        _activationDType = activationDType;
        _config = config;
        _visionTower = visionTower;
        _projector = projector;
        _imageNewline = imageNewline;
    }

    /// <summary>Rows one video of <paramref name="numFrames"/> frames contributes to the prompt: F·196 + 1.</summary>
    public int TokensPerVideo(int numFrames) => checked(numFrames * _config.TokensPerFrame + 1);

    /// <summary>
    /// Encodes one video. <paramref name="pixels"/>: host F32 [F, Ch, S, S] normalised frames. Returns
    /// [F·196 + 1, C] in the activation dtype on the backend (owned by the caller): frame 0's 14×14 pooled tokens
    /// row-major, then frame 1's, ..., then <c>image_newline</c>.
    /// </summary>
    /// <exception cref="ArgumentException">pixels has the wrong dtype, device or shape.</exception>
    public Tensor Encode(Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Shape.Rank != 4 || pixels.Shape[0] < 1)
            throw new ArgumentException($"pixels has shape {pixels.Shape}, expected [F, Ch, S, S] with F ≥ 1", nameof(pixels));
        var features = Allocate(checked((int)pixels.Shape[0])); // [F·196 + 1, C]
        try
        {
            EncodeFrames(pixels, 0, (int)pixels.Shape[0], features);
            return features;
        }
        catch
        {
            features.Dispose();
            throw;
        }
    }

    /// <summary>A zeroed [F·196 + 1, C] buffer in the activation dtype for <see cref="EncodeFrames"/> (caller owns).</summary>
    public Tensor Allocate(int numFrames) =>
        _backend.Allocate(_activationDType, new Shape(TokensPerVideo(numFrames), _projector.HiddenSize));

    /// <summary>
    /// Encodes frames [<paramref name="firstFrame"/>, firstFrame + count) of <paramref name="pixels"/> into their rows
    /// of <paramref name="features"/> [F·196 + 1, C]; the call that reaches the last frame also writes the newline row.
    /// Frames are independent, so a video encoded in several calls equals one <see cref="Encode"/> (this is what lets
    /// the engine spread one video's vision work over several steps).
    /// </summary>
    /// <exception cref="ArgumentException">pixels or features has the wrong shape or dtype, or the range is empty or
    /// outside the video.</exception>
    public void EncodeFrames(Tensor pixels, int firstFrame, int count, Tensor features)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(features);
        if (pixels.Shape.Rank != 4 || pixels.Shape[0] < 1)
            throw new ArgumentException($"pixels has shape {pixels.Shape}, expected [F, Ch, S, S] with F ≥ 1", nameof(pixels));
        int f = checked((int)pixels.Shape[0]);
        int c = _projector.HiddenSize, grid = _config.Vision.GridSize, pooled = _config.PooledGridSize;
        int tokensPerFrame = _config.TokensPerFrame;
        if (features.Shape != new Shape(TokensPerVideo(f), c) || features.DType != _activationDType)
            throw new ArgumentException($"features is {features}, expected {_activationDType} [{TokensPerVideo(f)}, {c}] for {f} frames", nameof(features));
        if (count < 1 || firstFrame < 0 || firstFrame + count > f)
            throw new ArgumentException($"frames [{firstFrame}, {firstFrame + count}) are not a non-empty range of the video's {f}", nameof(count));
        var b = _backend;
        for (int first = firstFrame; first < firstFrame + count; first += FramesPerChunk)
        {
            int n = Math.Min(FramesPerChunk, firstFrame + count - first);
            using var vision = _visionTower.Forward(pixels.Rows(first, n)); // [n, P, Cv]
            using var projected = b.Allocate(vision.DType, new Shape(n, grid, grid, c)); // [n, 27, 27, C]
            _projector.Forward(vision, projected);
            // The 27×27 grid is row-major over patches, so [n, P, C] is already channels-last [n, 27, 27, C].
            var target = features.Rows((long)first * tokensPerFrame, (long)n * tokensPerFrame)
                .Reshape(new Shape(n, pooled, pooled, c)); // [n, 14, 14, C]
            b.BilinearResize(projected, target);
        }
        // One newline per video, after the last frame (not per frame or per row).
        if (firstFrame + count == f)
            b.Convert(_imageNewline, features.Rows(features.Shape[0] - 1, 1).Reshape(new Shape(c)));
    }
}
