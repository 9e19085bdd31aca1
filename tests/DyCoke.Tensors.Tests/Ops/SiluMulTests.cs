// SiluMul against a double reference on the concatenated [gate | up] layout; argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class SiluMulTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 7)]
    [InlineData(5, 17)]
    [InlineData(4, 33)]
    [InlineData(3, 257)]
    [InlineData(16, 4864)] // Qwen2-0.5B intermediate size
    public void SiluMul_RandomRows_MatchesDoubleReference(int rows, int inter)
    {
        using var backend = new CpuBackend();
        using var gateUp = TestTensors.Random(inter, new Shape(rows, 2 * inter), -12f, 12f);
        using var y = Tensor.Cpu(DType.F32, new Shape(rows, inter));
        backend.SiluMul(gateUp, y);
        float[] g = gateUp.ToFloatArray();
        var expected = new float[rows * inter];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < inter; i++)
                expected[r * inter + i] = (float)(ReferenceMath.Silu(g[r * 2 * inter + i]) * g[r * 2 * inter + inter + i]);
        // Float sigmoid and two float products: a few ulp.
        TestTensors.AssertClose(expected, y.Span<float>(), 1e-6, 2e-6, "silu·mul");
    }

    [Fact]
    public void SiluMul_ExtremeGates_SaturateWithoutNaN()
    {
        using var backend = new CpuBackend();
        using var gateUp = Tensor.FromArray([100f, -100f, 0f, 2f, 3f, 5f], new Shape(1, 6));
        using var y = Tensor.Cpu(DType.F32, new Shape(1, 3));
        backend.SiluMul(gateUp, y);
        var r = y.Span<float>();
        Assert.Equal(200f, r[0]);
        Assert.True(Math.Abs(r[1]) < 1e-30f, $"silu(-100)·3 = {r[1]}");
        Assert.Equal(0f, r[2]);
    }

    [Fact]
    public void SiluMul_BadShapes_Throw()
    {
        using var backend = new CpuBackend();
        using var odd = Tensor.Cpu(DType.F32, new Shape(2, 7));
        using var gateUp = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 4));
        using var yWrong = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var yHalf = Tensor.Cpu(DType.F16, new Shape(2, 4));
        Assert.Throws<ArgumentException>(() => backend.SiluMul(odd, y));
        Assert.Throws<ArgumentException>(() => backend.SiluMul(gateUp, yWrong));
        Assert.Throws<ArgumentException>(() => backend.SiluMul(gateUp, yHalf));
    }
}
