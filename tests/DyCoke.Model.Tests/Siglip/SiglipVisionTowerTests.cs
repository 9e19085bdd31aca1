// The SigLIP tower on the demo checkpoint: the patch embedding against a naive convolution, and frame independence.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Siglip;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Siglip;

public sealed class SiglipVisionTowerTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void Forward_NoLayers_EqualsNaiveStride14ConvPlusPositionEmbeddings()
    {
        using var checkpoint = CheckpointDirectory.Open(demo.Directory);
        using var weights = new WeightLoader(checkpoint, demo.Backend, DType.F32);
        var config = checkpoint.Config.Vision;
        var embeddingsOnly = new SiglipVisionTower(demo.Backend, config, visionFeatureLayer: 0, weights); // hidden_states[0]
        using var pixels = SyntheticFrames.Pixels(1, firstFrame: 3); // [1, 3, 384, 384]
        using var actual = embeddingsOnly.Forward(pixels); // [1, P, C]

        float[] w = checkpoint.GetTensor(WeightMap.VisionEmbeddings("patch_embedding.weight")).ToFloatArray(); // [C, 3, 14, 14]
        float[] bias = checkpoint.GetTensor(WeightMap.VisionEmbeddings("patch_embedding.bias")).ToFloatArray(); // [C]
        float[] pos = checkpoint.GetTensor(WeightMap.VisionEmbeddings("position_embedding.weight")).ToFloatArray(); // [P, C]
        ReadOnlySpan<float> px = pixels.Span<float>();
        int c = config.HiddenSize, p = config.PatchSize, grid = config.GridSize, size = config.ImageSize;
        var expected = new float[config.NumPatches * c]; // [P, C]
        for (int r = 0; r < grid; r++)
            for (int col = 0; col < grid; col++)
                for (int o = 0; o < c; o++)
                {
                    double sum = bias[o];
                    for (int ch = 0; ch < 3; ch++)
                        for (int i = 0; i < p; i++)
                            for (int j = 0; j < p; j++)
                                sum += (double)w[((o * 3 + ch) * p + i) * p + j] * px[(ch * size + r * p + i) * size + col * p + j];
                    int token = r * grid + col;
                    expected[token * c + o] = (float)(sum + pos[token * c + o]);
                }

        Assert.Equal(new Shape(1, config.NumPatches, c), actual.Shape);
        ModelAssert.Close(expected, actual.ToFloatArray(), 1e-5, "patch embedding");
    }

    [Fact]
    public void Forward_TwoFrames_EachFrameEqualsItsOwnRun()
    {
        var tower = demo.Model.VisionTower;
        using var both = tower.Forward(SyntheticFrames.Pixels(2)); // [2, P, C]
        using var first = tower.Forward(SyntheticFrames.Pixels(1)); // [1, P, C]
        using var second = tower.Forward(SyntheticFrames.Pixels(1, firstFrame: 1)); // [1, P, C]

        ModelAssert.Close(first.ToFloatArray(), both.Rows(0, 1).ToFloatArray(), 1e-6, "frame 0");
        ModelAssert.Close(second.ToFloatArray(), both.Rows(1, 1).ToFloatArray(), 1e-6, "frame 1");
        Assert.True(ModelAssert.RelativeError(first.ToFloatArray(), second.ToFloatArray()) > 1e-2, "different frames must give different features");
    }

    [Fact]
    public void Forward_PixelsOfTheWrongSize_ThrowsNamingTheShape()
    {
        using var pixels = Tensor.Cpu(DType.F32, new Shape(1, 3, 224, 224)); // [1, 3, 224, 224]
        var e = Assert.Throws<ArgumentException>(() => demo.Model.VisionTower.Forward(pixels));
        Assert.Contains("[1, 3, 224, 224]", e.Message);
    }
}
