// KV pool sizing arithmetic (no device needed) and the CUDA graph bucket policy.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests;

public sealed class KvPoolSizingTests
{
    [Fact]
    public void BytesPerSlot_Qwen2_7B_Bf16()
    {
        // 28 layers × (K + V) × 4 kv heads × 128 dims × 2 bytes = 57,344 bytes per token.
        Assert.Equal(57_344, KvPoolSizing.BytesPerSlot(28, 4, 128, DType.BF16));
        // Qwen2-0.5B on the CPU backend (F32): 24 × 2 × 2 × 64 × 4 = 24,576 bytes per token.
        Assert.Equal(24_576, KvPoolSizing.BytesPerSlot(24, 2, 64, DType.F32));
    }

    [Fact]
    public void SlotCount_UsesFractionMinusReserve_InWholeBlocks()
    {
        long perSlot = KvPoolSizing.BytesPerSlot(28, 4, 128, DType.BF16);
        // 60 GiB free, 90 % granted, 2 GiB reserved: (54 − 2) GiB / 57,344 B = 973,677.7 slots → 973,664 in blocks of 16.
        long slots = KvPoolSizing.SlotCount(60L << 30, 0.9, 2L << 30, perSlot);
        Assert.Equal(973_664, slots);
        Assert.Equal(0, slots % 16);
    }

    [Fact]
    public void SlotCount_ReserveLargerThanBudget_IsZero()
    {
        Assert.Equal(0, KvPoolSizing.SlotCount(1L << 30, 0.5, 1L << 30, 1024));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void SlotCount_FractionOutOfRange_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KvPoolSizing.SlotCount(1L << 30, fraction, 0, 1024));
    }

    [Fact]
    public void GraphBuckets_PowersOfTwoThenMax()
    {
        Assert.Equal([1, 2, 4, 8, 16, 32, 48], CudaGraphBuckets.BucketSizes(48));
        Assert.Equal([1], CudaGraphBuckets.BucketSizes(1));
        Assert.Equal([1, 2, 4, 8], CudaGraphBuckets.BucketSizes(8));
    }
}
