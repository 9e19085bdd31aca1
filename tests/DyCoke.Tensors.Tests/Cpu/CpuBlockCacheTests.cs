// The freed-block cache behind CPU tensors: reused memory comes back zeroed, every size is served aligned, and the
// cache never grows past its bound.
using Xunit;

namespace DyCoke.Tensors.Tests.Cpu;

public sealed class CpuBlockCacheTests
{
    [Fact]
    public void Allocate_AfterDirtyTensorFreed_ReusedMemoryIsZero()
    {
        for (int round = 0; round < 50; round++)
        {
            using (var dirty = Tensor.Cpu(DType.F32, new Shape(100, 7))) // 2800 B → the 4 KiB class
                dirty.Span<float>().Fill(float.NaN);
            using var clean = Tensor.Cpu(DType.F32, new Shape(700));
            Assert.All(clean.Span<float>().ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(64L)]
    [InlineData(65L)]
    [InlineData(1L << 20)]
    [InlineData((1L << 20) + 4)]
    [InlineData(5L << 20)]
    public unsafe void RentRelease_AnySize_AlignedAndLargeEnough(long bytes)
    {
        void* p = CpuBlockCache.Rent(bytes, CpuStorage.Alignment, out long capacity);
        try
        {
            Assert.True(capacity >= bytes);
            Assert.Equal(0, (long)p % CpuStorage.Alignment);
            new Span<byte>(p, (int)Math.Min(bytes, int.MaxValue)).Fill(0xAB); // the whole request is writable
        }
        finally
        {
            CpuBlockCache.Release(p, capacity);
        }
    }

    [Fact]
    public void ReleaseMany_CacheStaysWithinItsBound()
    {
        var tensors = Enumerable.Range(0, 200).Select(_ => Tensor.Cpu(DType.F32, new Shape(1 << 18))).ToList(); // 1 MiB each
        foreach (var t in tensors) t.Dispose();
        Assert.InRange(CpuBlockCache.CachedBytes, 0, CpuBlockCache.MaxCachedBytes);
    }
}
