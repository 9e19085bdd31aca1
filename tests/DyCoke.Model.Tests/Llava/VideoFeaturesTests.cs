// The video feature path: frame-major assembly across encoding chunks, one trailing newline, and the 27×27 → 14×14
// bilinear pooling taps of llava-onevision.md §4.4.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Llava;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Llava;

public sealed class VideoFeaturesTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void Encode_MoreFramesThanOneChunk_FramesInOrderThenOneNewline()
    {
        int frames = VideoFeatures.FramesPerChunk + 1;
        int perFrame = demo.Model.Config.TokensPerFrame, c = demo.Model.Config.Text.HiddenSize;
        using var video = demo.Model.EncodeVideo(SyntheticFrames.Pixels(frames)); // [F·196 + 1, C]
        using var firstAlone = demo.Model.EncodeVideo(SyntheticFrames.Pixels(1)); // [197, C]
        using var lastAlone = demo.Model.EncodeVideo(SyntheticFrames.Pixels(1, firstFrame: frames - 1)); // [197, C]

        Assert.Equal(new Shape(frames * perFrame + 1, c), video.Shape);
        ModelAssert.Close(firstAlone.Rows(0, perFrame).ToFloatArray(), video.Rows(0, perFrame).ToFloatArray(), 1e-6, "frame 0");
        ModelAssert.Close(lastAlone.Rows(0, perFrame).ToFloatArray(), video.Rows((frames - 1) * perFrame, perFrame).ToFloatArray(), 1e-6, "last frame");

        using var checkpoint = CheckpointDirectory.Open(demo.Directory);
        float[] newline = checkpoint.GetTensor(WeightMap.ImageNewline).ToFloatArray(); // [C]
        Assert.Equal(newline, video.Rows(frames * perFrame, 1).ToFloatArray());
        Assert.Equal(newline, firstAlone.Rows(perFrame, 1).ToFloatArray());
    }

    [Fact]
    public void EncodeFrames_InPiecesAcrossChunkBoundaries_EqualsOneEncode()
    {
        // 11 frames as 1 + 9 + 1: pieces that straddle the 8-frame encoding chunk; the newline comes with the last.
        const int frames = 11;
        using var pixels = SyntheticFrames.Pixels(frames); // [11, 3, 384, 384]
        using var whole = demo.Model.EncodeVideo(pixels); // [11·196 + 1, C]
        using var pieces = demo.Model.Video.Allocate(frames); // [11·196 + 1, C]
        demo.Model.Video.EncodeFrames(pixels, 0, 1, pieces);
        demo.Model.Video.EncodeFrames(pixels, 1, 9, pieces);
        Assert.Equal(0f, pieces.Rows(pieces.Shape[0] - 1, 1).ToFloatArray().Max(Math.Abs)); // no newline before the last frame
        demo.Model.Video.EncodeFrames(pixels, 10, 1, pieces);

        ModelAssert.Close(whole.ToFloatArray(), pieces.ToFloatArray(), 1e-6, "frames encoded in pieces");
        Assert.Throws<ArgumentException>(() => demo.Model.Video.EncodeFrames(pixels, 10, 2, pieces));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(6, 7)]
    [InlineData(13, 2)]
    [InlineData(13, 13)]
    public void Encode_PooledToken_IsTheBilinearBlendOfFourProjectedPatches(int dy, int dx)
    {
        var model = demo.Model;
        int grid = model.Config.Vision.GridSize, c = model.Config.Text.HiddenSize;
        using var pixels = SyntheticFrames.Pixels(1); // [1, 3, 384, 384]
        using var vision = model.VisionTower.Forward(pixels); // [1, P, Cv]
        using var projected = demo.Backend.Allocate(DType.F32, new Shape(1, grid * grid, c)); // [1, P, C]
        model.Projector.Forward(vision, projected);
        using var video = model.EncodeVideo(pixels); // [197, C]

        float[] patches = projected.ToFloatArray();
        var (y0, ly) = Tap(dy);
        var (x0, lx) = Tap(dx);
        int y1 = Math.Min(y0 + 1, grid - 1), x1 = Math.Min(x0 + 1, grid - 1);
        var expected = new float[c];
        for (int i = 0; i < c; i++)
        {
            double At(int y, int x) => patches[(y * grid + x) * c + i];
            expected[i] = (float)((1 - ly) * ((1 - lx) * At(y0, x0) + lx * At(y0, x1)) + ly * ((1 - lx) * At(y1, x0) + lx * At(y1, x1)));
        }
        ModelAssert.Close(expected, video.Rows(dy * 14 + dx, 1).ToFloatArray(), 1e-5, $"pooled token ({dy}, {dx})");
    }

    // §4.4: s = (d + 0.5)·27/14 − 0.5, clamped at 0; i0 = floor(s), λ = s − i0.
    private static (int I0, double Lambda) Tap(int d)
    {
        double s = Math.Max((d + 0.5) * 27 / 14 - 0.5, 0);
        int i0 = (int)Math.Floor(s);
        return (i0, s - i0);
    }
}
