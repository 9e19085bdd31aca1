// KvCachePool: block arithmetic, check-then-act allocation, and free + used == total through every change.
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class KvCachePoolTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(16, 4)]
    public void BlocksFor_TokenCount_RoundsUpToBlocks(int tokens, int expected)
    {
        var pool = new KvCachePool(numBlocks: 8, blockSize: 4);
        Assert.Equal(expected, pool.BlocksFor(tokens));
    }

    [Fact]
    public void Allocate_ThenFree_KeepsFreePlusUsedEqualTotal()
    {
        var pool = new KvCachePool(numBlocks: 10, blockSize: 4);
        var a = TestSequences.Create(6);
        var b = TestSequences.Create(9);
        pool.Allocate(a, 6);
        Assert.Equal(2, a.NumBlocks);
        pool.Allocate(b, 9);
        Assert.Equal(3, b.NumBlocks);
        Assert.Equal(5, pool.NumUsedBlocks);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
        pool.Allocate(a, 9); // grows by one block
        Assert.Equal(3, a.NumBlocks);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
        pool.Free(a);
        pool.Free(b);
        Assert.Equal(0, a.NumBlocks);
        Assert.Equal(10, pool.NumFreeBlocks);
        Assert.Equal(0, pool.NumUsedBlocks);
    }

    [Fact]
    public void Allocate_BlocksOfDifferentSequences_NeverShareASlot()
    {
        var pool = new KvCachePool(numBlocks: 6, blockSize: 4);
        var a = TestSequences.Create(10);
        var b = TestSequences.Create(10);
        pool.Allocate(a, 10);
        pool.Allocate(b, 10);
        var slotsA = a.SlotsUpTo(10);
        var slotsB = b.SlotsUpTo(10);
        Assert.Empty(slotsA.Intersect(slotsB));
        Assert.Equal(10, slotsA.Distinct().Count());
        Assert.All(slotsA.Concat(slotsB), s => Assert.InRange(s, 0, pool.NumSlots - 1));
    }

    [Fact]
    public void SlotView_ThroughGrowShrinkFreeAndReallocate_MatchesSlotOfEveryPosition()
    {
        var pool = new KvCachePool(numBlocks: 12, blockSize: 4);
        var other = TestSequences.Create(5);
        var seq = TestSequences.Create(30);
        void Check(int tokens)
        {
            var view = seq.SlotView(tokens).Span;
            for (int p = 0; p < tokens; p++) Assert.Equal(seq.SlotOf(p), view[p]);
            Assert.Equal(view.ToArray(), seq.SlotsUpTo(tokens));
        }

        pool.Allocate(other, 5); // so seq's blocks are not 0, 1, 2, ...
        pool.Allocate(seq, 6);
        Check(6);
        pool.Allocate(seq, 30); // grows the cached slot array
        Check(30);
        pool.Shrink(seq, 9);
        Check(9);
        Assert.Throws<ArgumentOutOfRangeException>(() => seq.SlotView(13));
        pool.Free(other);
        pool.Free(seq); // as a preemption does
        pool.Allocate(seq, 17); // other blocks this time
        Check(17);
    }

    [Fact]
    public void CanAllocate_PoolTooSmall_IsFalseAndAllocateThrows()
    {
        var pool = new KvCachePool(numBlocks: 2, blockSize: 4);
        var seq = TestSequences.Create(9);
        Assert.False(pool.CanAllocate(seq, 9));
        Assert.Throws<InvalidOperationException>(() => pool.Allocate(seq, 9));
        Assert.Equal(2, pool.NumFreeBlocks);
        Assert.True(pool.CanAllocate(seq, 8));
    }

    [Fact]
    public void Shrink_ToFewerTokens_ReturnsTheTrailingBlocksOnly()
    {
        var pool = new KvCachePool(numBlocks: 10, blockSize: 4);
        var a = TestSequences.Create(20);
        pool.Allocate(a, 20); // 5 blocks
        var kept = a.Blocks.Take(2).ToArray();

        Assert.Equal(3, pool.Shrink(a, 7));
        Assert.Equal(kept, a.Blocks); // the KV already written at positions 0..7 stays where it is
        Assert.Equal(8, pool.NumFreeBlocks);
        Assert.Equal(0, pool.Shrink(a, 8));
    }
}
