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
    public void SiluMul_ExtremeGatesInVectorRows_MatchReference()
    {
        // 32 gates per row: the AVX-512 pass (16 at a time) runs on every one of them, including the clamped e^-g.
        float[] gates = [100f, -100f, 87.5f, -87.5f, 90f, -90f, 1e4f, -1e4f, 0f, -0f, 1e-30f, -1e-30f, 20f, -20f, 40f, -40f,
            0.5f, -0.5f, 3f, -3f, 11.9f, -11.9f, 60f, -60f, 86f, -86f, 1e-6f, -1e-6f, 7f, -7f, 15f, -15f];
        int inter = gates.Length;
        var data = new float[2 * inter];
        gates.CopyTo(data, 0);
        for (int i = 0; i < inter; i++) data[inter + i] = 0.5f + i * 0.25f;
        using var backend = new CpuBackend();
        using var gateUp = Tensor.FromArray(data, new Shape(1, 2 * inter));
        using var y = Tensor.Cpu(DType.F32, new Shape(1, inter));
        backend.SiluMul(gateUp, y);
        var expected = new float[inter];
        for (int i = 0; i < inter; i++) expected[i] = (float)(ReferenceMath.Silu(gates[i]) * data[inter + i]);
        TestTensors.AssertClose(expected, y.Span<float>(), 1e-30, 2e-6, "silu·mul at extreme gates");
        Assert.Equal(100f * data[inter], y.Span<float>()[0]);
    }

    [Fact]
    public void SiluMul_NaNGate_GivesNaNOnlyThere()
    {
        var data = new float[64];
        for (int i = 0; i < 32; i++) { data[i] = i - 16; data[32 + i] = 1f; }
        data[5] = float.NaN;
        using var backend = new CpuBackend();
        using var gateUp = Tensor.FromArray(data, new Shape(1, 64));
        using var y = Tensor.Cpu(DType.F32, new Shape(1, 32));
        backend.SiluMul(gateUp, y);
        var r = y.Span<float>();
        for (int i = 0; i < 32; i++) Assert.Equal(i == 5, float.IsNaN(r[i]));
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
