// RowCosine against a double reference; parallel, opposite and zero rows; the eps-on-the-product rule; checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class RowCosineTests
{
    private static float[] Reference(float[] a, float[] b, int c)
    {
        var result = new float[a.Length / c];
        for (int r = 0; r < result.Length; r++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < c; i++)
            {
                dot += (double)a[r * c + i] * b[r * c + i];
                na += (double)a[r * c + i] * a[r * c + i];
                nb += (double)b[r * c + i] * b[r * c + i];
            }
            result[r] = (float)(dot / Math.Max(Math.Sqrt(na * nb), 1e-8));
        }
        return result;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 7)]
    [InlineData(5, 17)]
    [InlineData(4, 33)]
    [InlineData(9, 257)]
    [InlineData(196, 896)] // one TTM frame pair: 14×14 tokens
    [InlineData(3, 4099)]
    public void RowCosine_RandomRows_MatchesDoubleReference(int rows, int c)
    {
        using var backend = new CpuBackend();
        using var a = TestTensors.Random(c, new Shape(rows, c));
        using var b = TestTensors.Random(c + 1, new Shape(rows, c));
        using var output = Tensor.Cpu(DType.F32, new Shape(rows));
        backend.RowCosine(a, b, output);
        // Float dot and norms: error ~1e-7·√C relative to the norms.
        TestTensors.AssertClose(Reference(a.ToFloatArray(), b.ToFloatArray(), c), output.Span<float>(), 2e-6, 0, "cosine");
    }

    [Fact]
    public void RowCosine_ParallelOppositeAndZeroRows_GiveOneMinusOneAndZero()
    {
        using var backend = new CpuBackend();
        using var a = Tensor.FromArray([1f, 2, 3, /* */ 1, 2, 3, /* */ 0, 0, 0], new Shape(3, 3));
        using var b = Tensor.FromArray([2f, 4, 6, /* */ -1, -2, -3, /* */ 1, 2, 3], new Shape(3, 3));
        using var output = Tensor.Cpu(DType.F32, new Shape(3));
        backend.RowCosine(a, b, output);
        var r = output.Span<float>();
        Assert.Equal(1f, r[0], 1e-6f);
        Assert.Equal(-1f, r[1], 1e-6f);
        Assert.Equal(0f, r[2]);
    }

    [Fact]
    public void RowCosine_TinyNorms_ClampTheNormProduct()
    {
        // ‖a‖ = 2e-5, ‖b‖ = 5.48e-5: product 1.1e-9 < 1e-8, so out = dot / 1e-8 = 0.1 (PyTorch 1.13 would give 0.913).
        using var backend = new CpuBackend();
        using var a = Tensor.FromArray([1e-5f, 1e-5f, 1e-5f, 1e-5f], new Shape(1, 4));
        using var b = Tensor.FromArray([1e-5f, 2e-5f, 3e-5f, 4e-5f], new Shape(1, 4));
        using var output = Tensor.Cpu(DType.F32, new Shape(1));
        backend.RowCosine(a, b, output);
        Assert.Equal(0.1f, output.Span<float>()[0], 1e-6f);
    }

    [Fact]
    public void RowCosine_BadShapes_Throw()
    {
        using var backend = new CpuBackend();
        using var a = Tensor.Cpu(DType.F32, new Shape(3, 4));
        using var b = Tensor.Cpu(DType.F32, new Shape(3, 5));
        using var output = Tensor.Cpu(DType.F32, new Shape(3));
        using var outputLong = Tensor.Cpu(DType.F32, new Shape(4));
        using var outputInt = Tensor.Cpu(DType.I32, new Shape(3));
        Assert.Throws<ArgumentException>(() => backend.RowCosine(a, b, output));
        Assert.Throws<ArgumentException>(() => backend.RowCosine(a, a, outputLong));
        Assert.Throws<ArgumentException>(() => backend.RowCosine(a, a, outputInt));
    }
}
