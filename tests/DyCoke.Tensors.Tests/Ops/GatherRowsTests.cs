// GatherRows: raw row gathers for several dtypes and ranks, repeated indices, bounds and shape checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class GatherRowsTests
{
    private static unsafe Span<byte> Bytes(Tensor t) => new((void*)t.Pointer, (int)t.ByteCount);

    [Theory]
    [InlineData(DType.F32, 1)]
    [InlineData(DType.BF16, 3)]
    [InlineData(DType.F16, 7)]
    [InlineData(DType.I64, 33)]
    [InlineData(DType.U8, 257)]
    [InlineData(DType.F32, 4099)]
    public void GatherRows_RandomIndices_CopiesTheIndexedRows(DType dtype, int c)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        const int Rows = 50;
        var rng = new Random(c);
        int[] index = Enumerable.Range(0, 80).Select(_ => rng.Next(Rows)).ToArray(); // repeats on purpose
        using var src = Tensor.Cpu(dtype, new Shape(Rows, c));
        rng.NextBytes(Bytes(src));
        using var indices = Tensor.FromArray(index, new Shape(index.Length));
        using var dst = Tensor.Cpu(dtype, new Shape(index.Length, c));
        backend.GatherRows(src, indices, dst);
        int rowBytes = c * dtype.SizeOf();
        for (int i = 0; i < index.Length; i++)
            Assert.True(Bytes(src).Slice(index[i] * rowBytes, rowBytes).SequenceEqual(Bytes(dst).Slice(i * rowBytes, rowBytes)), $"row {i}");
    }

    [Fact]
    public void GatherRows_Rank3Source_GathersWholeSubTensors()
    {
        using var backend = new CpuBackend();
        using var src = TestTensors.Random(4, new Shape(5, 2, 3)); // [S, Hkv, D]
        using var indices = Tensor.FromArray([4, 0], new Shape(2));
        using var dst = Tensor.Cpu(DType.F32, new Shape(2, 2, 3));
        backend.GatherRows(src, indices, dst);
        var s = src.Span<float>();
        Assert.Equal(s.Slice(24, 6).ToArray().Concat(s[..6].ToArray()), dst.Span<float>().ToArray());
    }

    [Fact]
    public void GatherRows_EmptyIndexList_WritesNothing()
    {
        using var backend = new CpuBackend();
        using var src = TestTensors.Random(1, new Shape(3, 4));
        using var indices = Tensor.Cpu(DType.I32, new Shape(0));
        using var dst = Tensor.Cpu(DType.F32, new Shape(0, 4));
        backend.GatherRows(src, indices, dst);
        Assert.Equal(0, dst.NumElements);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(6)]
    public void GatherRows_IndexOutOfRange_ThrowsBeforeWriting(int bad)
    {
        using var backend = new CpuBackend();
        using var src = TestTensors.Random(2, new Shape(6, 4));
        using var indices = Tensor.FromArray([1, bad], new Shape(2));
        using var dst = Tensor.Cpu(DType.F32, new Shape(2, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.GatherRows(src, indices, dst));
        Assert.All(dst.Span<float>().ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GatherRows_BadShapesOrDTypes_Throw()
    {
        using var backend = new CpuBackend();
        using var src = Tensor.Cpu(DType.F32, new Shape(6, 4));
        using var indices = Tensor.FromArray([0, 1], new Shape(2));
        using var longIndices = Tensor.Cpu(DType.I64, new Shape(2));
        using var dstWide = Tensor.Cpu(DType.F32, new Shape(2, 5));
        using var dstRows = Tensor.Cpu(DType.F32, new Shape(3, 4));
        using var dstType = Tensor.Cpu(DType.F16, new Shape(2, 4));
        using var dst = Tensor.Cpu(DType.F32, new Shape(2, 4));
        Assert.Throws<ArgumentException>(() => backend.GatherRows(src, indices, dstWide));
        Assert.Throws<ArgumentException>(() => backend.GatherRows(src, indices, dstRows));
        Assert.Throws<ArgumentException>(() => backend.GatherRows(src, indices, dstType));
        Assert.Throws<ArgumentException>(() => backend.GatherRows(src, longIndices, dst));
    }
}
