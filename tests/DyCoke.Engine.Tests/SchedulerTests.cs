// Scheduler without a model: FCFS admission by KV reservation, the batch cap, preemption of the newest sequence by
// recompute (which resets prefill progress), and free + used == total after every step.
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class SchedulerTests
{
    internal static (Scheduler, KvCachePool) Create(int numBlocks, SchedulerOptions options, int visionTokensPerFrame = Scheduler.DefaultVisionTokensPerFrame)
    {
        var pool = new KvCachePool(numBlocks, options.BlockSize);
        return (new Scheduler(pool, options, visionTokensPerFrame), pool);
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

        Assert.Equal([new PrefillWork(a, 0, 8), new PrefillWork(b, 0, 8)], step.Prefills);
        Assert.Empty(step.Decodes);
        Assert.Equal(16, step.PrefillTokens);
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
        TestSequences.Run(scheduler.Schedule());
        Assert.True(a.IsPrefilled && b.IsPrefilled);

        var step = scheduler.Schedule();
        Assert.Equal([a, b], step.Decodes);
        Assert.Empty(step.Prefills);

        scheduler.Finish(a);
        Assert.Equal(SequenceStatus.Finished, a.Status);
        Assert.Equal(0, a.NumBlocks);
        step = scheduler.Schedule();
        Assert.Equal([b], step.Decodes);
        Assert.Equal([c], step.Prefills.Select(w => w.Sequence));
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
        scheduler.Finish(b);
        scheduler.Finish(c);
        Assert.Equal(0, pool.NumUsedBlocks);
        Assert.False(scheduler.HasWork);
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
        var first = scheduler.Schedule();
        Assert.Equal(2, first.Prefills.Count); // 2 + 2 blocks: the pool is full
        TestSequences.Run(first);

        var step = scheduler.Schedule(); // both need a third block at position 8

        Assert.Equal([young], step.Preempted);
        Assert.Equal([old], step.Decodes);
        Assert.Equal(SequenceStatus.Waiting, young.Status);
        Assert.Equal(1, young.NumPreemptions);
        Assert.Equal(0, young.NumBlocks);
        Assert.Equal(9, young.NumTokens); // keeps its output for the recompute
        Assert.False(young.IsPrefilled);
        Assert.Equal(0, young.NumCachedTokens);
        Assert.Equal(9, young.NumTokensToPrefill); // prompt and output are prefilled again
        Assert.Equal(1, scheduler.NumPreemptions);
        Assert.Equal(3, pool.NumUsedBlocks);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
    }

    // Schedule keeps the running list oldest first by id, not by admission: a sequence admitted after a newer one (as a
    // preempted sequence is re-admitted) is still the older, and the newer gives way when the pool runs dry.
    [Fact]
    public void Schedule_OlderSequenceAdmittedLater_NewestByIdIsPreempted()
    {
        var (scheduler, _) = Create(numBlocks: 5, new SchedulerOptions { BlockSize = 4, ReserveFullOutput = false });
        var older = TestSequences.Create(7, maxTokens: 8, blockSize: 4);
        var newer = TestSequences.Create(7, maxTokens: 8, blockSize: 4);
        Assert.True(older.Id < newer.Id);
        scheduler.Add(newer);
        TestSequences.Run(scheduler.Schedule()); // newer prefills: 2 blocks
        scheduler.Add(older);
        TestSequences.Run(scheduler.Schedule()); // newer decodes, older prefills: 4 blocks
        TestSequences.Run(scheduler.Schedule()); // newer takes the last free block

        var step = scheduler.Schedule(); // older needs a third block and none is free

        Assert.Equal([newer], step.Preempted);
        Assert.Equal([older], step.Decodes);
        Assert.Equal(SequenceStatus.Running, older.Status);
    }

    [Fact]
    public void CanEverAdmit_ReservationLargerThanPool_IsFalse()
    {
        var (scheduler, _) = Create(numBlocks: 2, new SchedulerOptions { BlockSize = 4 });
        Assert.False(scheduler.CanEverAdmit(TestSequences.Create(4, maxTokens: 8)));
        Assert.True(scheduler.CanEverAdmit(TestSequences.Create(4, maxTokens: 4)));
    }

    // Admission reserves the pre-TTM prompt + max_tokens; once TTM has shortened the prompt the surplus goes back and
    // the next request, which did not fit before, is admitted.
    [Fact]
    public void ReleaseSurplus_AfterTtmShortensThePrompt_FreesBlocksAndAdmitsTheNextRequest()
    {
        var (scheduler, pool) = Create(numBlocks: 10, new SchedulerOptions { BlockSize = 4 });
        var a = TestSequences.Create(28, maxTokens: 4); // reserves 8 blocks
        var b = TestSequences.Create(8, maxTokens: 4);  // needs 3: waits
        scheduler.Add(a);
        scheduler.Add(b);
        var first = scheduler.Schedule();
        Assert.Equal([a], first.Prefills.Select(w => w.Sequence));
        Assert.Equal(8, a.NumBlocks);
        Assert.Equal([b], scheduler.Waiting);

        a.SetPrompt(Enumerable.Range(1, 9).ToArray()); // what TTM does: 28 → 9 prompt tokens
        int freed = scheduler.ReleaseSurplus(a);

        Assert.Equal(4, a.NumBlocks); // 9 + 4 tokens
        Assert.Equal(4, freed);
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
        var second = scheduler.Schedule();
        Assert.Contains(b, second.Prefills.Select(w => w.Sequence));
        Assert.Equal(0, scheduler.ReleaseSurplus(a)); // nothing left to return
    }
}
