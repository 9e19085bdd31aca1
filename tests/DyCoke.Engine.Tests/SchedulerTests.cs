// Scheduler without a model: FCFS admission by KV reservation, the token budget, the batch cap, preemption of the
// newest sequence by recompute, and free + used == total after every step.
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class SchedulerTests
{
    private static (Scheduler, KvCachePool) Create(int numBlocks, SchedulerOptions options)
    {
        var pool = new KvCachePool(numBlocks, options.BlockSize);
        return (new Scheduler(pool, options), pool);
    }

    [Fact]
    public void Schedule_ReservesPromptPlusMaxTokens_AdmitsFcfsUntilThePoolIsFull()
    {
        var (scheduler, pool) = Create(numBlocks: 10, new SchedulerOptions { BlockSize = 4 });
        var a = TestSequences.Create(8, maxTokens: 8); // 4 blocks
        var b = TestSequences.Create(8, maxTokens: 8); // 4 blocks
        var c = TestSequences.Create(4, maxTokens: 4); // 2 blocks, fits but must not overtake
        var d = TestSequences.Create(8, maxTokens: 8);
        foreach (var s in new[] { a, b, d, c }) scheduler.Add(s);

        var step = scheduler.Schedule();

        Assert.Equal([a, b], step.Prefills);
        Assert.Empty(step.Decodes);
        Assert.Equal(8, pool.NumUsedBlocks);
        Assert.Equal([d, c], scheduler.Waiting);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
    }

    [Fact]
    public void Schedule_RunningSequences_DecodeEveryStepAndFinishFreesBlocks()
    {
        var (scheduler, pool) = Create(numBlocks: 10, new SchedulerOptions { BlockSize = 4 });
        var a = TestSequences.Create(8, maxTokens: 8);
        var b = TestSequences.Create(8, maxTokens: 8);
        var c = TestSequences.Create(8, maxTokens: 8);
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Add(c);
        scheduler.Schedule();
        a.AppendToken(1);
        b.AppendToken(1);

        var step = scheduler.Schedule();
        Assert.Equal([a, b], step.Decodes);
        Assert.Empty(step.Prefills);

        scheduler.Finish(a);
        Assert.Equal(SequenceStatus.Finished, a.Status);
        Assert.Equal(0, a.NumBlocks);
        step = scheduler.Schedule();
        Assert.Equal([b], step.Decodes);
        Assert.Equal([c], step.Prefills);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
        scheduler.Finish(b);
        scheduler.Finish(c);
        Assert.Equal(0, pool.NumUsedBlocks);
        Assert.False(scheduler.HasWork);
    }

    [Fact]
    public void Schedule_TokenBudget_LimitsPrefillsButAlwaysAdmitsOneWhenIdle()
    {
        var (scheduler, _) = Create(numBlocks: 100, new SchedulerOptions { BlockSize = 4, TokenBudget = 10 });
        var big = TestSequences.Create(20, maxTokens: 4);
        var small = TestSequences.Create(4, maxTokens: 4);
        scheduler.Add(big);
        scheduler.Add(small);

        var first = scheduler.Schedule();
        Assert.Equal([big], first.Prefills); // over budget, but the only work

        big.AppendToken(1);
        var second = scheduler.Schedule();
        Assert.Equal([big], second.Decodes);
        Assert.Equal([small], second.Prefills); // 1 decode + 4 prompt tokens <= 10
    }

    [Fact]
    public void Schedule_MaxRunningSequences_CapsTheBatch()
    {
        var (scheduler, _) = Create(numBlocks: 100, new SchedulerOptions { BlockSize = 4, MaxRunningSequences = 2 });
        for (int i = 0; i < 4; i++) scheduler.Add(TestSequences.Create(4));
        var step = scheduler.Schedule();
        Assert.Equal(2, step.Prefills.Count);
        Assert.Equal(2, scheduler.Waiting.Count);
    }

    [Fact]
    public void Schedule_PoolDryWithoutReservation_PreemptsTheNewestForRecompute()
    {
        var (scheduler, pool) = Create(numBlocks: 4, new SchedulerOptions { BlockSize = 4, ReserveFullOutput = false });
        var old = TestSequences.Create(8, maxTokens: 8, blockSize: 4);
        var young = TestSequences.Create(8, maxTokens: 8, blockSize: 4);
        scheduler.Add(old);
        scheduler.Add(young);
        Assert.Equal(2, scheduler.Schedule().Prefills.Count); // 2 + 2 blocks: the pool is full
        old.AppendToken(1);
        young.AppendToken(1);

        var step = scheduler.Schedule(); // both need a third block at position 8

        Assert.Equal([young], step.Preempted);
        Assert.Equal([old], step.Decodes);
        Assert.Equal(SequenceStatus.Waiting, young.Status);
        Assert.Equal(1, young.NumPreemptions);
        Assert.Equal(0, young.NumBlocks);
        Assert.Equal(9, young.NumTokens); // keeps its output for the recompute
        Assert.Equal(1, scheduler.NumPreemptions);
        Assert.Equal(3, pool.NumUsedBlocks);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
    }

    [Fact]
    public void CanEverAdmit_ReservationLargerThanPool_IsFalse()
    {
        var (scheduler, _) = Create(numBlocks: 2, new SchedulerOptions { BlockSize = 4 });
        Assert.False(scheduler.CanEverAdmit(TestSequences.Create(4, maxTokens: 8)));
        Assert.True(scheduler.CanEverAdmit(TestSequences.Create(4, maxTokens: 4)));
    }
}
