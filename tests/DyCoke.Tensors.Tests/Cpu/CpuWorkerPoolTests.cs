// The CPU backend's worker threads: every chunk runs exactly once, errors reach the caller, and a busy or nested
// call falls back to running inline instead of deadlocking.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Cpu;

public sealed class CpuWorkerPoolTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 37)]
    [InlineData(2, 1)]
    [InlineData(2, 8)]
    [InlineData(4, 1000)]
    public void Run_ManyCalls_EveryChunkRunsExactlyOnce(int threads, int chunks)
    {
        using var pool = new CpuWorkerPool(threads);
        for (int call = 0; call < 200; call++)
        {
            var hits = new int[chunks];
            pool.Run(chunks, c => Interlocked.Increment(ref hits[c]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void CpuBackend_ParallelHost_RunsEveryIndexOnceAndRethrowsTheFirstError(int threads)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = threads });
        var hits = new int[16];
        backend.ParallelHost(hits.Length, i => Interlocked.Increment(ref hits[i]));
        Assert.All(hits, h => Assert.Equal(1, h));

        var e = Assert.Throws<InvalidOperationException>(() => backend.ParallelHost(16, i =>
        {
            if (i == 5) throw new InvalidOperationException("item 5");
        }));
        Assert.Equal("item 5", e.Message);
        backend.ParallelHost(0, _ => throw new InvalidOperationException("no items, no calls"));
    }

    [Fact]
    public void Run_TwoThreads_WorkerStartsOnItsOwnHalfOfTheChunks()
    {
        // Region claiming: the caller takes chunks from the front of the first half, the worker from the front of the
        // second, so an op's chunk c lands on the same core call after call (its data stays in that core's cache).
        // Chunk 0 holds its thread until another chunk has started, so the worker always joins in, however loaded the
        // machine is; with one shared counter it took whichever chunk came next (chunk 0 in the run that checked this test
        // against the old pool).
        using var pool = new CpuWorkerPool(2);
        int caller = Environment.CurrentManagedThreadId;
        for (int call = 0; call < 20; call++)
        {
            var owner = new int[8];
            var order = new int[8];
            int sequence = 0, othersStarted = 0;
            pool.Run(8, c =>
            {
                owner[c] = Environment.CurrentManagedThreadId;
                order[c] = Interlocked.Increment(ref sequence);
                if (c != 0)
                {
                    Interlocked.Increment(ref othersStarted);
                    return;
                }
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref othersStarted) == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.SpinWait(20);
            });
            var workerChunks = Enumerable.Range(0, 8).Where(c => owner[c] != caller).ToList();
            Assert.True(workerChunks.Count > 0, $"call {call}: the worker ran no chunk in 10 s");
            Assert.Equal(4, workerChunks.MinBy(c => order[c]));
        }
    }

    [Fact]
    public void Run_AfterWorkersFellAsleep_StillRunsEveryChunk()
    {
        using var pool = new CpuWorkerPool(3);
        for (int call = 0; call < 3; call++)
        {
            // Longer than the spin window, so the workers are asleep on the gate and must be woken.
            Thread.Sleep(TimeSpan.FromMicroseconds(CpuWorkerPool.SpinMicroseconds * 5));
            int sum = 0;
            pool.Run(64, c => Interlocked.Add(ref sum, c));
            Assert.Equal(64 * 63 / 2, sum);
        }
    }

    [Fact]
    public void Run_ChunkThrows_CallerGetsTheExceptionAndThePoolKeepsWorking()
    {
        using var pool = new CpuWorkerPool(2);
        int ran = 0;
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(16, c =>
        {
            Interlocked.Increment(ref ran);
            if (c == 5) throw new InvalidOperationException("chunk 5");
        }));
        Assert.Equal("chunk 5", e.Message);
        Assert.Equal(16, ran); // the other chunks still ran: no half-written output is left behind by a skipped chunk

        int after = 0;
        pool.Run(10, _ => Interlocked.Increment(ref after));
        Assert.Equal(10, after);
    }

    [Fact]
    public void Run_NestedCall_RunsInlineWithoutDeadlock()
    {
        using var pool = new CpuWorkerPool(2);
        var hits = new int[8 * 8];
        pool.Run(8, outer => pool.Run(8, inner => Interlocked.Increment(ref hits[outer * 8 + inner])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_ConcurrentCallers_EachGetsAllItsChunks()
    {
        using var pool = new CpuWorkerPool(2);
        var totals = new long[4];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, caller =>
        {
            for (int call = 0; call < 100; call++)
            {
                long sum = 0;
                pool.Run(32, c => Interlocked.Add(ref sum, c + 1));
                totals[caller] += sum;
            }
        });
        Assert.All(totals, t => Assert.Equal(100L * 32 * 33 / 2, t));
    }

    [Fact]
    public void Dispose_StopsWorkersAndLaterCallsRunInline()
    {
        var pool = new CpuWorkerPool(2);
        pool.Run(4, _ => { });
        pool.Dispose();
        pool.Dispose();
        int ran = 0;
        pool.Run(4, _ => ran++);
        Assert.Equal(4, ran);
    }

    [Fact]
    public void Constructor_ZeroThreads_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CpuWorkerPool(0));
}
