// Parity of the CUDA selection ops (TopK, ArgMax) with the CPU reference backend: both define one exact answer (value
// descending, lower index first, NaN on top), so indices and values must match exactly. GPU hosts only.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

[Trait("Category", "Gpu")]
[Collection(CudaOpsCollection.Name)]
public sealed class CudaSelectionOpsTests(CudaOpsFixture fixture)
{
    [Theory]
    [InlineData(DType.F32, 3, 196, 98, false)] // DyCoke TTM: one frame pair's 196 tokens
    [InlineData(DType.F32, 2, 3000, 1500, true)] // many ties
    [InlineData(DType.F32, 2, 5000, 4096, false)] // the largest k sorted in shared memory
    [InlineData(DType.F32, 1, 20000, 5000, true)] // k above 4096: sorted in global memory
    [InlineData(DType.F32, 2, 152, 152, false)] // k = N
    [InlineData(DType.F32, 2, 151936, 50, false)] // sampling over a Qwen2 vocabulary
    [InlineData(DType.BF16, 2, 3000, 700, false)] // bf16 rounding makes ties
    [InlineData(DType.F16, 1, 1000, 1, false)]
    public void TopK_Shapes_MatchCpuExactly(DType dtype, int rows, int n, int k, bool quantize)
    {
        var shape = new Shape(rows, n);
        float[] values = CudaOpsFixture.RandomValues(30, shape);
        if (quantize)
            for (int i = 0; i < values.Length; i++) values[i] = MathF.Round(values[i] * 8f) / 8f; // 17 distinct values
        AssertTopKMatchesCpu(values, dtype, shape, k);
    }

    [Theory]
    [InlineData(20)] // every element
    [InlineData(6)] // NaNs, +Inf, then the largest finite values
    public void TopK_NanInfinitiesAndSignedZeros_OrderedLikeCpu(int k)
    {
        float[] values =
        [
            1f, float.NaN, -0f, float.PositiveInfinity, 0f, float.NaN, float.NegativeInfinity, 1f, -1f, 0f,
            float.PositiveInfinity, -0f, 2f, float.NegativeInfinity, 1f, float.NaN, -2f, 0.5f, -0f, 2f,
        ];
        AssertTopKMatchesCpu(values, DType.F32, new Shape(1, values.Length), k);
    }

    [Theory]
    [InlineData(DType.F32, 2, 151936, false)] // greedy decoding over a Qwen2 vocabulary
    [InlineData(DType.F32, 3, 17, true)]
    [InlineData(DType.BF16, 2, 151936, false)] // bf16 rounding makes ties: the first index must win
    [InlineData(DType.F16, 5, 1000, true)]
    public void ArgMax_Shapes_MatchCpuExactly(DType dtype, int rows, int n, bool quantize)
    {
        var shape = new Shape(rows, n);
        float[] values = CudaOpsFixture.RandomValues(31, shape);
        if (quantize)
            for (int i = 0; i < values.Length; i++) values[i] = MathF.Round(values[i] * 4f) / 4f;
        AssertArgMaxMatchesCpu(values, dtype, shape);
    }

    [Fact]
    public void ArgMax_SpecialRows_FirstNanThenFirstMaximum()
    {
        float[] values =
        [
            1f, 3f, float.NaN, 3f, float.NaN, // NaN wins, the first one: 2
            float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, // all −Inf: 0
            -0f, 0f, -0f, -1f, -2f, // ±0 tie: 0
            -5f, -4f, -3f, -3f, float.PositiveInfinity, // +Inf: 4
        ];
        AssertArgMaxMatchesCpu(values, DType.F32, new Shape(4, 5));
    }

    [Fact]
    public void HostChecks_BadArguments_Throw()
    {
        var gpu = fixture.Gpu();
        using var scores = gpu.Allocate(DType.F32, new Shape(2, 10)); // [R, N]
        using var values = gpu.Allocate(DType.F32, new Shape(2, 3)); // [R, k]
        using var indices = gpu.Allocate(DType.I32, new Shape(2, 3)); // [R, k]
        using var empty = gpu.Allocate(DType.F32, new Shape(2, 0)); // [R, 0]
        using var argmax = gpu.Allocate(DType.I32, new Shape(2)); // [R]
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.TopK(scores, 11, values, indices));
        Assert.Throws<ArgumentException>(() => gpu.TopK(scores, 2, values, indices));
        Assert.Throws<ArgumentException>(() => gpu.TopK(scores, 3, indices, indices));
        Assert.Throws<ArgumentException>(() => gpu.ArgMax(empty, argmax));
        Assert.Throws<ArgumentException>(() => gpu.ArgMax(scores, values));
    }

    private void AssertTopKMatchesCpu(float[] values, DType dtype, Shape shape, int k)
    {
        var gpu = fixture.Gpu();
        using var scores = CudaOpsFixture.Narrow(values, dtype, shape); // [R, N]
        var outShape = shape.WithDim(-1, k); // [R, k]
        using var expectedValues = Tensor.Cpu(DType.F32, outShape);
        using var expectedIndices = Tensor.Cpu(DType.I32, outShape);
        using (var scores32 = CudaOpsFixture.Widen(scores))
            fixture.Cpu.TopK(scores32, k, expectedValues, expectedIndices);

        using var dscores = fixture.Upload(scores);
        using var dvalues = gpu.Allocate(DType.F32, outShape);
        using var dindices = gpu.Allocate(DType.I32, outShape);
        gpu.TopK(dscores, k, dvalues, dindices);
        using var actualValues = fixture.Download(dvalues);
        using var actualIndices = fixture.Download(dindices);
        Assert.Equal(expectedIndices.Span<int>().ToArray(), actualIndices.Span<int>().ToArray());
        TestTensors.AssertClose(expectedValues.ToFloatArray(), actualValues.ToFloatArray(), 0, 0, "top-k values");
    }

    private void AssertArgMaxMatchesCpu(float[] values, DType dtype, Shape shape)
    {
        var gpu = fixture.Gpu();
        using var x = CudaOpsFixture.Narrow(values, dtype, shape); // [R, N]
        var outShape = new Shape(shape.Rows); // [R]
        using var expected = Tensor.Cpu(DType.I32, outShape);
        using (var x32 = CudaOpsFixture.Widen(x))
            fixture.Cpu.ArgMax(x32, expected);

        using var dx = fixture.Upload(x);
        using var dindices = gpu.Allocate(DType.I32, outShape);
        gpu.ArgMax(dx, dindices);
        using var actual = fixture.Download(dindices);
        Assert.Equal(expected.Span<int>().ToArray(), actual.Span<int>().ToArray());
    }
}
