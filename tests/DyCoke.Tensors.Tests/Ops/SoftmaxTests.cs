// Softmax against a double reference and PyTorch: large logits, masked entries, NaN rows, aliasing, checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class SoftmaxTests
{
    private static float[] Reference(float[] x, int n)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < n; i++) max = Math.Max(max, x[r * n + i]);
            for (int i = 0; i < n; i++) sum += Math.Exp(x[r * n + i] - max);
            for (int i = 0; i < n; i++) y[r * n + i] = (float)(Math.Exp(x[r * n + i] - max) / sum);
        }
        return y;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 7)]
    [InlineData(5, 17)]
    [InlineData(4, 33)]
    [InlineData(9, 257)]
    [InlineData(2, 151_936)] // a Qwen2 vocabulary row
    [InlineData(700, 729)] // SigLIP attention rows: several parallel chunks
    public void Softmax_LargeLogits_MatchesDoubleReference(int rows, int n)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        using var x = TestTensors.Random(n, new Shape(rows, n), -500f, 500f); // exp without the shift overflows
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.Softmax(x, y);
        // Float exp (about 1 ulp), double-accumulated sum, float division: a few 1e-7 relative per probability.
        TestTensors.AssertClose(Reference(x.ToFloatArray(), n), y.Span<float>(), 1e-9, 2e-6, "softmax");
    }

    [Fact]
    public void Softmax_MaskedEntriesAndSpecialRows_FollowPyTorch()
    {
        using var backend = new CpuBackend();
        float inf = float.PositiveInfinity;
        using var x = Tensor.FromArray(
            [0f, -inf, 0f, -inf, /* */ 1f, float.NaN, 2f, 3f, /* */ -inf, -inf, -inf, -inf, /* */ inf, 1f, 2f, 3f],
            new Shape(4, 4));
        backend.Softmax(x, x);
        var r = x.Span<float>();
        Assert.Equal([0.5f, 0f, 0.5f, 0f], r[..4].ToArray());
        Assert.All(r[4..].ToArray(), v => Assert.True(float.IsNaN(v))); // NaN, all −∞ and +∞ rows
    }

    [Fact]
    public void Softmax_PyTorchFixture_Matches()
    {
        var fixture = TestTensors.LoadFixture("gelu_softmax.json");
        using var backend = new CpuBackend();
        using var x = Tensor.FromArray(TestTensors.Floats(fixture.GetProperty("softmax_x")), TestTensors.ShapeOf(fixture.GetProperty("softmax_shape")));
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.Softmax(x, y);
        TestTensors.AssertClose(TestTensors.Floats(fixture.GetProperty("softmax_y")), y.Span<float>(), 1e-8, 2e-6, "torch softmax");
    }

    [Fact]
    public void Softmax_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 9));
        using var half = Tensor.Cpu(DType.F16, new Shape(2, 8));
        Assert.Throws<ArgumentException>(() => backend.Softmax(x, y));
        Assert.Throws<ArgumentException>(() => backend.Softmax(half, x));
        Assert.Throws<ArgumentException>(() => backend.Softmax(x, half));
    }
}
