// Add: elementwise F32 sums equal the scalar float sum; aliasing and argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class AddTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(257)]
    [InlineData(4099)]
    [InlineData(300_007)] // several parallel chunks
    public void Add_RandomInputs_EqualsScalarFloatSum(int n)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        using var a = TestTensors.Random(n, new Shape(n), -100f, 100f);
        using var b = TestTensors.Random(n + 1, new Shape(n), -100f, 100f);
        using var y = Tensor.Cpu(DType.F32, a.Shape);
        backend.Add(a, b, y);
        var expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = a.Span<float>()[i] + b.Span<float>()[i];
        Assert.Equal(expected, y.Span<float>().ToArray()); // one IEEE rounding: exact
    }

    [Fact]
    public void Add_OutputAliasesInput_AccumulatesInPlace()
    {
        using var backend = new CpuBackend();
        using var a = TestTensors.Random(1, new Shape(3, 5));
        using var b = TestTensors.Random(2, new Shape(3, 5));
        float[] expected = a.ToFloatArray().Zip(b.ToFloatArray(), (p, q) => p + q).ToArray();
        backend.Add(a, b, a);
        Assert.Equal(expected, a.Span<float>().ToArray());
    }

    [Fact]
    public void Add_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var a = Tensor.Cpu(DType.F32, new Shape(3, 4));
        using var transposed = Tensor.Cpu(DType.F32, new Shape(4, 3));
        using var half = Tensor.Cpu(DType.F16, new Shape(3, 4));
        Assert.Throws<ArgumentException>(() => backend.Add(a, transposed, a));
        Assert.Throws<ArgumentException>(() => backend.Add(a, a, transposed));
        Assert.Throws<ArgumentException>(() => backend.Add(a, half, a));
    }
}
