// LayerNorm against a double reference, for F32/F16/BF16 weight and bias; offset rows, aliasing, argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class LayerNormTests
{
    private const float Eps = 1e-6f;

    // Double-accumulated moments, float elementwise steps: a few float roundings of the normalised value.
    private const double Atol = 2e-6, Rtol = 1e-5;

    private static float[] Reference(float[] x, float[] w, float[] b, int c)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / c; r++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < c; i++) mean += x[r * c + i];
            mean /= c;
            for (int i = 0; i < c; i++) variance += (x[r * c + i] - mean) * (x[r * c + i] - mean);
            variance /= c;
            double scale = 1 / Math.Sqrt(variance + Eps);
            for (int i = 0; i < c; i++) y[r * c + i] = (float)((x[r * c + i] - mean) * scale * w[i] + b[i]);
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
    [InlineData(DType.F32, 729, 1152)] // one SigLIP frame
    [InlineData(DType.F16, 3, 4099)]
    public void LayerNorm_RandomRows_MatchesDoubleReference(DType paramType, int rows, int c)
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(c, new Shape(rows, c), -3f, 3f);
        using var w = TestTensors.Random(c + 1, new Shape(c), paramType, 0.5f, 1.5f);
        using var b = TestTensors.Random(c + 2, new Shape(c), paramType, -0.5f, 0.5f);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.LayerNorm(x, w, b, Eps, y);
        TestTensors.AssertClose(Reference(x.ToFloatArray(), w.ToFloatArray(), b.ToFloatArray(), c), y.Span<float>(), Atol, Rtol, "layernorm");
    }

    [Fact]
    public void LayerNorm_LargeOffsetRows_KeepPrecision()
    {
        // A one-pass E[x²] − E[x]² would lose the variance (≈0.08) under the offset² (1e6) in float.
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(3, new Shape(4, 257), 999.5f, 1000.5f);
        using var w = TestTensors.Random(4, new Shape(257), 0.5f, 1.5f);
        using var b = TestTensors.Random(5, new Shape(257));
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.LayerNorm(x, w, b, Eps, y);
        // Rounding the mean to float alone would cost 3e-5/σ ≈ 1e-4; the recentring keeps the usual precision.
        TestTensors.AssertClose(Reference(x.ToFloatArray(), w.ToFloatArray(), b.ToFloatArray(), 257), y.Span<float>(), Atol, Rtol, "offset");
    }

    [Fact]
    public void LayerNorm_InPlace_EqualsOutOfPlace()
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(1, new Shape(2, 5, 33));
        using var w = TestTensors.Random(2, new Shape(33), DType.BF16);
        using var b = TestTensors.Random(3, new Shape(33), DType.BF16);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.LayerNorm(x, w, b, Eps, y);
        backend.LayerNorm(x, w, b, Eps, x);
        Assert.Equal(y.Span<float>().ToArray(), x.Span<float>().ToArray());
    }

    [Fact]
    public void LayerNorm_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var w = Tensor.Cpu(DType.F32, new Shape(8));
        using var bShort = Tensor.Cpu(DType.F32, new Shape(7));
        using var bInt = Tensor.Cpu(DType.I32, new Shape(8));
        using var yWide = Tensor.Cpu(DType.F32, new Shape(2, 9));
        Assert.Throws<ArgumentException>(() => backend.LayerNorm(x, w, bShort, Eps, y));
        Assert.Throws<ArgumentException>(() => backend.LayerNorm(x, w, bInt, Eps, y));
        Assert.Throws<ArgumentException>(() => backend.LayerNorm(x, w, w, Eps, yWide));
    }
}
