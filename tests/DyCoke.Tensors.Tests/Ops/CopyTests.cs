// Copy: raw byte copies for every dtype, shape-independent, overlap-safe; argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class CopyTests
{
    private static unsafe Span<byte> Bytes(Tensor t) => new((void*)t.Pointer, (int)t.ByteCount);

    [Theory]
    [InlineData(DType.F32, 1)]
    [InlineData(DType.F16, 3)]
    [InlineData(DType.BF16, 7)]
    [InlineData(DType.I32, 33)]
    [InlineData(DType.I64, 257)]
    [InlineData(DType.U8, 4099)]
    [InlineData(DType.F32, 3_000_001)] // 12 MB: split over threads
    public void Copy_AnyDType_CopiesEveryByte(DType dtype, int n)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        using var src = Tensor.Cpu(dtype, new Shape(n));
        using var dst = Tensor.Cpu(dtype, new Shape(n));
        new Random(n).NextBytes(Bytes(src));
        backend.Copy(src, dst);
        Assert.True(Bytes(src).SequenceEqual(Bytes(dst)));
    }

    [Fact]
    public void Copy_DifferentShapesSameCount_CopiesFlatOrder()
    {
        using var backend = new CpuBackend();
        using var src = TestTensors.Random(1, new Shape(6, 4));
        using var dst = Tensor.Cpu(DType.F32, new Shape(2, 3, 4));
        backend.Copy(src, dst);
        Assert.Equal(src.Span<float>().ToArray(), dst.Span<float>().ToArray());
    }

    [Fact]
    public void Copy_OverlappingRowViews_BehavesLikeMemmove()
    {
        using var backend = new CpuBackend();
        using var t = Tensor.FromArray(Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), new Shape(10, 1));
        using var head = t.Rows(0, 6);
        using var tail = t.Rows(4, 6);
        backend.Copy(head, tail); // rows 4..9 ← old rows 0..5
        Assert.Equal([0f, 1, 2, 3, 0, 1, 2, 3, 4, 5], t.Span<float>().ToArray());
    }

    [Fact]
    public void Copy_MismatchedDTypeOrCount_Throws()
    {
        using var backend = new CpuBackend();
        using var f32 = Tensor.Cpu(DType.F32, new Shape(8));
        using var i32 = Tensor.Cpu(DType.I32, new Shape(8));
        using var f32Short = Tensor.Cpu(DType.F32, new Shape(7));
        Assert.Throws<ArgumentException>(() => backend.Copy(f32, i32));
        Assert.Throws<ArgumentException>(() => backend.Copy(f32, f32Short));
    }
}
