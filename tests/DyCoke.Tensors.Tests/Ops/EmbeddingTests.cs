// Embedding: table rows of each float dtype widened exactly to F32; id bounds and shape checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class EmbeddingTests
{
    [Theory]
    [InlineData(DType.F32, 1)]
    [InlineData(DType.F16, 3)]
    [InlineData(DType.BF16, 7)]
    [InlineData(DType.F16, 33)]
    [InlineData(DType.BF16, 257)]
    [InlineData(DType.F16, 896)]
    [InlineData(DType.BF16, 4099)]
    public void Embedding_AnyTableDType_EqualsWidenedRows(DType dtype, int c)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        const int Vocab = 100;
        using var table = TestTensors.Random(c, new Shape(Vocab, c), dtype);
        var rng = new Random(c);
        int[] ids = Enumerable.Range(0, 37).Select(_ => rng.Next(Vocab)).ToArray();
        using var idTensor = Tensor.FromArray(ids, new Shape(ids.Length));
        using var y = Tensor.Cpu(DType.F32, new Shape(ids.Length, c));
        backend.Embedding(idTensor, table, y);
        float[] wide = table.ToFloatArray(); // scalar widening: exact
        var actual = y.Span<float>();
        for (int t = 0; t < ids.Length; t++)
            Assert.Equal(wide.AsSpan(ids[t] * c, c).ToArray(), actual.Slice(t * c, c).ToArray());
    }

    [Fact]
    public void Embedding_BadIdsOrShapes_Throw()
    {
        using var backend = new CpuBackend();
        using var table = Tensor.Cpu(DType.F16, new Shape(10, 4));
        using var ids = Tensor.FromArray([0, 9], new Shape(2));
        using var badIds = Tensor.FromArray([0, 10], new Shape(2));
        using var negativeIds = Tensor.FromArray([-1, 2], new Shape(2));
        using var longIds = Tensor.Cpu(DType.I64, new Shape(2));
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 4));
        using var yHalf = Tensor.Cpu(DType.F16, new Shape(2, 4));
        using var yWide = Tensor.Cpu(DType.F32, new Shape(2, 5));
        using var intTable = Tensor.Cpu(DType.I32, new Shape(10, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embedding(badIds, table, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embedding(negativeIds, table, y));
        Assert.Throws<ArgumentException>(() => backend.Embedding(longIds, table, y));
        Assert.Throws<ArgumentException>(() => backend.Embedding(ids, table, yHalf));
        Assert.Throws<ArgumentException>(() => backend.Embedding(ids, table, yWide));
        Assert.Throws<ArgumentException>(() => backend.Embedding(ids, intTable, y));
    }
}
