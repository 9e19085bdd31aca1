// The CPU backend's worker threads: every chunk runs exactly once, errors reach the caller, a busy or nested call
// falls back to running inline instead of deadlocking, and background work runs beside the caller or, untaken, in Wait.
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

    [Fact]
    public void CpuBackend_StartHost_TwoThreads_BodyRunsOnAWorkerWhileTheCallerGoesOn()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        using var callerWentOn = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        bool sawCaller = false;
        int bodyThread = -1;
        // The body waits for the caller to act after StartHost returned: a StartHost that ran body in place would
        // time out here instead. The caller waits for the body to start before Wait, which would otherwise run it.
        var work = backend.StartHost(1, _ =>
        {
            bodyThread = Environment.CurrentManagedThreadId;
            started.Set();
            sawCaller = callerWentOn.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        callerWentOn.Set();
        work.Wait();
        Assert.True(sawCaller);
        Assert.NotEqual(Environment.CurrentManagedThreadId, bodyThread);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void CpuBackend_StartHost_WaitRethrowsTheBodysError(int threads)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = threads });
        var work = backend.StartHost(3, i => throw new InvalidOperationException("decisions failed"));
        var e = Assert.Throws<InvalidOperationException>(work.Wait);
        Assert.Equal("decisions failed", e.Message);
    }

    [Fact]
    public void Start_OneThread_RunsTheBodyBeforeReturning()
    {
        using var pool = new CpuWorkerPool(1);
        int ran = 0;
        var work = pool.Start(2, _ => ran++);
        Assert.Equal(2, ran);
        work.Wait();
        Assert.Equal(2, ran);
    }

    [Fact]
    public void Start_WorkerBusy_WaitRunsTheBodyOnTheWaitingThread()
    {
        using var pool = new CpuWorkerPool(2);
        using var release = new ManualResetEventSlim();
        // The only worker is held inside a first piece of work, so the second is still unclaimed when Wait comes: the
        // caller runs it itself instead of waiting for the worker.
        var first = HoldTheWorker(pool, release);
        int secondThread = -1, runs = 0;
        var second = pool.Start(1, _ =>
        {
            secondThread = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref runs);
        });
        second.Wait();
        Assert.Equal(Environment.CurrentManagedThreadId, secondThread);
        release.Set();
        first.Wait();
        // The worker, free again, sees the second piece as taken and does not run it twice.
        var third = pool.Start(1, _ => { });
        third.Wait();
        Assert.Equal(1, runs);
    }

    [Fact]
    public void Start_SeveralPiecesAndAParallelCall_TheWorkerRunsEveryPieceInOrderWithoutAWait()
    {
        // Pieces started while the worker is busy, and a parallel call made after them, do not hide one another: the
        // worker runs the call, then each piece in the order it was started, with nobody waiting on the pieces (token
        // events handed over at the end of a step must go out even if the next step's ops keep the worker busy).
        using var pool = new CpuWorkerPool(2);
        using var release = new ManualResetEventSlim();
        int caller = Environment.CurrentManagedThreadId;
        var first = HoldTheWorker(pool, release);
        var order = new System.Collections.Concurrent.ConcurrentQueue<(int Piece, int Thread)>();
        var pieces = Enumerable.Range(1, 3).Select(i => pool.Start(1, _ => order.Enqueue((i, Environment.CurrentManagedThreadId)))).ToList();
        var hits = new int[4];
        pool.Run(hits.Length, c => Interlocked.Increment(ref hits[c])); // the worker is held: the caller runs them all
        release.Set();

        Assert.True(SpinWait.SpinUntil(() => order.Count == 3, TimeSpan.FromSeconds(30)), "the started pieces never ran");
        Assert.Equal([1, 2, 3], order.Select(o => o.Piece));
        Assert.All(order, o => Assert.NotEqual(caller, o.Thread));
        Assert.All(hits, h => Assert.Equal(1, h));
        first.Wait();
        foreach (var piece in pieces) piece.Wait();
        Assert.Equal(3, order.Count); // waiting does not run them again
    }

    // Starts a piece that holds the pool's only worker until release is set, and returns once the worker is inside it.
    private static IHostWork HoldTheWorker(CpuWorkerPool pool, ManualResetEventSlim release)
    {
        // Not disposed here: the worker may still be inside Set when this thread returns (it holds no kernel handle).
        var started = new ManualResetEventSlim();
        var held = pool.Start(1, _ =>
        {
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        return held;
    }

    [Fact]
    public void Start_WaiterArrivesWhileTheWorkerIsBusy_TheyShareTheChunks()
    {
        // The worker starts on its own half (chunk 8 on) and holds there until the waiting thread has run a chunk, so
        // Wait must take chunks itself rather than wait for the worker to do them all.
        using var pool = new CpuWorkerPool(2);
        using var waiterRan = new ManualResetEventSlim();
        int caller = Environment.CurrentManagedThreadId;
        var hits = new int[16];
        var threads = new int[16];
        var work = pool.Start(hits.Length, c =>
        {
            threads[c] = Environment.CurrentManagedThreadId;
            if (threads[c] == caller) waiterRan.Set();
            else if (c == 8) waiterRan.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Interlocked.Increment(ref hits[c]);
        });
        work.Wait();
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.Contains(caller, threads);
        Assert.True(waiterRan.IsSet);
    }

    [Fact]
    public void Start_ThenParallelRuns_EveryChunkAndTheBodyRunOnce()
    {
        // A Run published while the background work is pending takes the worker; every chunk and the body still run
        // exactly once, whichever thread gets to them.
        using var pool = new CpuWorkerPool(2);
        for (int call = 0; call < 200; call++)
        {
            int body = 0;
            var hits = new int[8];
            var work = pool.Start(1, _ => Interlocked.Increment(ref body));
            pool.Run(hits.Length, c => Interlocked.Increment(ref hits[c]));
            work.Wait();
            Assert.Equal(1, body);
            Assert.All(hits, h => Assert.Equal(1, h));
        }
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
