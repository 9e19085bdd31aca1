// ArgMax against a scalar reference; first index on ties, NaN, signed zeros; argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class ArgMaxTests
{
    private static int Reference(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 0; i < row.Length; i++)
        {
            if (float.IsNaN(row[i])) return i;
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 7)]
    [InlineData(5, 17)]
    [InlineData(4, 33)]
    [InlineData(9, 257)]
    [InlineData(4, 4099)]
    [InlineData(3, 151_936)]
    public void ArgMax_QuantizedRowsWithTies_FirstIndexOfMax(int rows, int n)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        var rng = new Random(n);
        float[] data = Enumerable.Range(0, rows * n).Select(_ => (float)rng.Next(0, 20)).ToArray(); // the max repeats
        using var x = Tensor.FromArray(data, new Shape(rows, n));
        using var indices = Tensor.Cpu(DType.I32, new Shape(rows));
        backend.ArgMax(x, indices);
        for (int r = 0; r < rows; r++)
            Assert.Equal(Reference(data.AsSpan(r * n, n)), indices.Span<int>()[r]);
    }

    [Fact]
    public void ArgMax_SpecialValues_AsTorch()
    {
        using var backend = new CpuBackend();
        float[] data =
        [
            1f, float.NaN, 3f, float.NaN, 0f, 0f, 0f, 0f, 0f, 0f, // first NaN wins
            -0f, 0f, -1f, -2f, -3f, -4f, -5f, -6f, -7f, -8f, // −0 and +0 tie: first
            float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity,
            float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity,
        ];
        using var x = Tensor.FromArray(data, new Shape(3, 10));
        using var indices = Tensor.Cpu(DType.I32, new Shape(3));
        backend.ArgMax(x, indices);
        Assert.Equal([1, 0, 0], indices.Span<int>().ToArray());
    }

    [Fact]
    public void ArgMax_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(3, 4));
        using var empty = Tensor.Cpu(DType.F32, new Shape(3, 0));
        using var indices = Tensor.Cpu(DType.I32, new Shape(3));
        using var indicesLong = Tensor.Cpu(DType.I64, new Shape(3));
        using var indicesShort = Tensor.Cpu(DType.I32, new Shape(2));
        Assert.Throws<ArgumentException>(() => backend.ArgMax(empty, indices));
        Assert.Throws<ArgumentException>(() => backend.ArgMax(x, indicesLong));
        Assert.Throws<ArgumentException>(() => backend.ArgMax(x, indicesShort));
    }
}
