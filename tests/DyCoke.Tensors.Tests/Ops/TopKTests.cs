// TopK against a sort-based reference (value descending, index ascending) with many ties, NaN, signed zeros; checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class TopKTests
{
    // Reference order: NaN first, then descending value (−0 = +0), ties by ascending index.
    private static int[] ReferenceOrder(float[] row) =>
        Enumerable.Range(0, row.Length)
            .OrderByDescending(i => float.IsNaN(row[i]))
            .ThenByDescending(i => float.IsNaN(row[i]) ? 0 : row[i])
            .ThenBy(i => i)
            .ToArray();

    private static void AssertTopK(float[] scores, int rows, int n, int k, Tensor values, Tensor indices)
    {
        var v = values.Span<float>();
        var ix = indices.Span<int>();
        for (int r = 0; r < rows; r++)
        {
            var row = scores.AsSpan(r * n, n).ToArray();
            int[] order = ReferenceOrder(row);
            for (int j = 0; j < k; j++)
            {
                Assert.Equal(order[j], ix[r * k + j]);
                Assert.Equal(BitConverter.SingleToInt32Bits(row[order[j]]), BitConverter.SingleToInt32Bits(v[r * k + j]));
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 7, 7)]
    [InlineData(4, 17, 5)]
    [InlineData(2, 33, 1)]
    [InlineData(5, 257, 100)]
    [InlineData(3, 3136, 1568)] // DyCoke: keep half of 16 frames × 196 tokens
    [InlineData(2, 4099, 4099)]
    public void TopK_QuantizedScoresWithManyTies_StableDescending(int rows, int n, int k)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        var rng = new Random(n);
        // Few distinct levels, so most selections cut through a run of equal values.
        float[] scores = Enumerable.Range(0, rows * n).Select(_ => rng.Next(-8, 8) * 0.25f).ToArray();
        using var s = Tensor.FromArray(scores, new Shape(rows, n));
        using var values = Tensor.Cpu(DType.F32, new Shape(rows, k));
        using var indices = Tensor.Cpu(DType.I32, new Shape(rows, k));
        backend.TopK(s, k, values, indices);
        AssertTopK(scores, rows, n, k, values, indices);
    }

    [Theory]
    [InlineData(257, 10)]
    [InlineData(4099, 1000)]
    public void TopK_DistinctRandomScores_MatchesReference(int n, int k)
    {
        using var backend = new CpuBackend();
        using var s = TestTensors.Random(n, new Shape(2, n));
        using var values = Tensor.Cpu(DType.F32, new Shape(2, k));
        using var indices = Tensor.Cpu(DType.I32, new Shape(2, k));
        backend.TopK(s, k, values, indices);
        AssertTopK(s.ToFloatArray(), 2, n, k, values, indices);
    }

    [Fact]
    public void TopK_NaNInfAndSignedZeros_RankAsTorch()
    {
        using var backend = new CpuBackend();
        float[] scores = [-0f, 1f, float.NaN, 0f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, -0f];
        using var s = Tensor.FromArray(scores, new Shape(1, scores.Length));
        using var values = Tensor.Cpu(DType.F32, new Shape(1, 8));
        using var indices = Tensor.Cpu(DType.I32, new Shape(1, 8));
        backend.TopK(s, 8, values, indices);
        Assert.Equal([2, 6, 5, 1, 0, 3, 7, 4], indices.Span<int>().ToArray());
        Assert.True(float.IsNegative(values.Span<float>()[4])); // the value is copied, sign included
    }

    [Fact]
    public void TopK_ZeroK_WritesNothing()
    {
        using var backend = new CpuBackend();
        using var s = TestTensors.Random(1, new Shape(2, 5));
        using var values = Tensor.Cpu(DType.F32, new Shape(2, 0));
        using var indices = Tensor.Cpu(DType.I32, new Shape(2, 0));
        backend.TopK(s, 0, values, indices);
        Assert.Equal(0, values.NumElements);
    }

    [Fact]
    public void TopK_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var s = Tensor.Cpu(DType.F32, new Shape(2, 5));
        using var values = Tensor.Cpu(DType.F32, new Shape(2, 3));
        using var indices = Tensor.Cpu(DType.I32, new Shape(2, 3));
        using var indicesLong = Tensor.Cpu(DType.I64, new Shape(2, 3));
        using var valuesShort = Tensor.Cpu(DType.F32, new Shape(2, 2));
        using var values6 = Tensor.Cpu(DType.F32, new Shape(2, 6));
        using var indices6 = Tensor.Cpu(DType.I32, new Shape(2, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.TopK(s, 6, values6, indices6));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.TopK(s, -1, values, indices));
        Assert.Throws<ArgumentException>(() => backend.TopK(s, 3, valuesShort, indices));
        Assert.Throws<ArgumentException>(() => backend.TopK(s, 3, values, indicesLong));
    }
}
