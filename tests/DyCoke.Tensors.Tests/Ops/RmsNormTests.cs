// RmsNorm and AddRmsNorm against a double reference, for F32/F16/BF16 weights; aliasing and argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class RmsNormTests
{
    private const float Eps = 1e-6f;

    // Double-accumulated mean of squares, then two float products: a few float roundings.
    private const double Atol = 1e-6, Rtol = 1e-5;

    private static float[] Reference(float[] x, float[] w, int c)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / c; r++)
        {
            double ss = 0;
            for (int i = 0; i < c; i++) ss += (double)x[r * c + i] * x[r * c + i];
            double scale = 1 / Math.Sqrt(ss / c + Eps);
            for (int i = 0; i < c; i++) y[r * c + i] = (float)(x[r * c + i] * scale * w[i]);
        }
        return y;
    }

    [Theory]
    [InlineData(DType.F32, 1, 1)]
    [InlineData(DType.F16, 2, 3)]
    [InlineData(DType.BF16, 3, 7)]
    [InlineData(DType.F32, 5, 17)]
    [InlineData(DType.F16, 4, 33)]
    [InlineData(DType.BF16, 9, 257)]
    [InlineData(DType.F32, 64, 896)]
    [InlineData(DType.F16, 16, 64)] // the demo's decode batch: the AVX-512 row pass
    [InlineData(DType.BF16, 3, 4099)]
    public void RmsNorm_RandomRows_MatchesDoubleReference(DType weightType, int rows, int c)
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(c, new Shape(rows, c), -3f, 3f);
        using var w = TestTensors.Random(c + 1, new Shape(c), weightType, 0.5f, 1.5f);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.RmsNorm(x, w, Eps, y);
        TestTensors.AssertClose(Reference(x.ToFloatArray(), w.ToFloatArray(), c), y.Span<float>(), Atol, Rtol, "rmsnorm");
    }

    [Fact]
    public void RmsNorm_InPlaceRank3_EqualsOutOfPlace()
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(1, new Shape(4, 3, 64)); // [T, H, D]: leading dims fold into rows
        using var w = TestTensors.Random(2, new Shape(64), DType.F16);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.RmsNorm(x, w, Eps, y);
        backend.RmsNorm(x, w, Eps, x);
        Assert.Equal(y.Span<float>().ToArray(), x.Span<float>().ToArray());
    }

    [Theory]
    [InlineData(DType.F32, 1, 7)]
    [InlineData(DType.BF16, 6, 33)]
    [InlineData(DType.F16, 32, 896)]
    [InlineData(DType.F32, 16, 64)]
    public void AddRmsNorm_RandomRows_UpdatesResidualAndNormalises(DType weightType, int rows, int c)
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(c, new Shape(rows, c), -2f, 2f);
        using var residual = TestTensors.Random(c + 7, new Shape(rows, c), -2f, 2f);
        using var w = TestTensors.Random(c + 1, new Shape(c), weightType, 0.5f, 1.5f);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        float[] sum = x.ToFloatArray().Zip(residual.ToFloatArray(), (a, b) => a + b).ToArray();
        backend.AddRmsNorm(x, residual, w, Eps, y);
        Assert.Equal(sum, residual.Span<float>().ToArray()); // a float add is exact to compare
        TestTensors.AssertClose(Reference(sum, w.ToFloatArray(), c), y.Span<float>(), Atol, Rtol, "add+rmsnorm");
    }

    [Fact]
    public void AddRmsNorm_OutputAliasesX_StillCorrect()
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(1, new Shape(3, 17));
        using var residual = TestTensors.Random(2, new Shape(3, 17));
        using var w = TestTensors.Random(3, new Shape(17));
        float[] sum = x.ToFloatArray().Zip(residual.ToFloatArray(), (a, b) => a + b).ToArray();
        backend.AddRmsNorm(x, residual, w, Eps, x);
        TestTensors.AssertClose(Reference(sum, w.ToFloatArray(), 17), x.Span<float>(), Atol, Rtol);
    }

    [Fact]
    public void RmsNorm_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var w = Tensor.Cpu(DType.F32, new Shape(8));
        using var wShort = Tensor.Cpu(DType.F32, new Shape(7));
        using var wInt = Tensor.Cpu(DType.I32, new Shape(8));
        using var xHalf = Tensor.Cpu(DType.F16, new Shape(2, 8));
        using var yOther = Tensor.Cpu(DType.F32, new Shape(8, 2));
        Assert.Throws<ArgumentException>(() => backend.RmsNorm(x, wShort, Eps, y));
        Assert.Throws<ArgumentException>(() => backend.RmsNorm(x, wInt, Eps, y));
        Assert.Throws<ArgumentException>(() => backend.RmsNorm(xHalf, w, Eps, y));
        Assert.Throws<ArgumentException>(() => backend.RmsNorm(x, w, Eps, yOther));
        Assert.Throws<ArgumentException>(() => backend.AddRmsNorm(x, yOther, w, Eps, y));
        Assert.Throws<ArgumentException>(() => backend.AddRmsNorm(x, y, w, Eps, y)); // y is the residual
    }
}
