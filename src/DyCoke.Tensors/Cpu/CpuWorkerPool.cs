// The CPU backend's own worker threads: a parallel op hands its chunks to threads that are already awake instead of
// to Parallel.For, whose thread-pool hand-off costs more than a whole decode-sized op (docs/decisions.md, "CPU
// thread dispatch").
using System.Diagnostics;

namespace DyCoke.Tensors.Cpu;

/// <summary>
/// Threads − 1 dedicated background threads plus the calling thread run the chunks of one parallel call. Workers spin
/// for <see cref="SpinMicroseconds"/> after their last chunk, so the next op of a model step finds them awake, then
/// sleep until the next call. The caller always works too and claims chunks from the same counter, so a worker that
/// wakes late only means less help, never a wait. A call that finds the pool busy (a concurrent caller, or a nested
/// call from inside a chunk) runs its chunks inline.
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins before it sleeps: longer than the gap between two ops of a decode step.</summary>
    public const int SpinMicroseconds = 200;

    private static readonly long s_spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private Thread[]? _threads; // started on the first parallel call: most backends in tests never make one
    private readonly object _gate = new();
    private Job? _job;
    private int _sleepers;
    private int _busy;
    private volatile bool _stopping;

    /// <param name="threads">Threads that run a call, the caller included (≥ 1).</param>
    public CpuWorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
    }

    /// <summary>Threads that run a call, the caller included.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs body(c) for every c in [0, chunks) across the pool and returns when all have finished. The first
    /// exception a chunk throws is rethrown here after every claimed chunk has finished.
    /// </summary>
    public void Run(int chunks, Action<int> body)
    {
        if (chunks <= 0) return;
        if (chunks == 1 || Threads == 1 || _stopping || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int c = 0; c < chunks; c++) body(c);
            return;
        }
        try
        {
            _threads ??= StartThreads();
            var job = new Job(body, chunks);
            Volatile.Write(ref _job, job);
            // Full fence between publishing the job and reading _sleepers; a worker going to sleep does the mirror
            // image (increments _sleepers, then reads _job), so at least one of the two sees the other.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);
            job.Work();
            job.WaitForAll();
            job.ThrowIfFailed();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private Thread[] StartThreads()
    {
        var threads = new Thread[Threads - 1];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"dycoke-cpu-{i + 1}" };
            threads[i].Start();
        }
        return threads;
    }

    private void WorkerLoop()
    {
        Job? last = null;
        while (!_stopping)
        {
            Job? job = Volatile.Read(ref _job);
            if (ReferenceEquals(job, last))
            {
                job = WaitForNewJob(last);
                if (job is null) return;
            }
            last = job;
            job!.Work();
        }
    }

    // Spins, then sleeps on the gate; null when the pool is stopping.
    private Job? WaitForNewJob(Job? last)
    {
        long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Job? job = Volatile.Read(ref _job);
            if (!ReferenceEquals(job, last) || _stopping) return _stopping ? null : job;
            // PAUSE instructions only, no yield: a worker that gives its core away is asleep when the next op comes.
            Thread.SpinWait(16);
        }
        lock (_gate)
        {
            Interlocked.Increment(ref _sleepers);
            try
            {
                while (!_stopping && ReferenceEquals(Volatile.Read(ref _job), last)) Monitor.Wait(_gate);
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
        }
        return _stopping ? null : Volatile.Read(ref _job);
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        lock (_gate) Monitor.PulseAll(_gate);
        // A Run in progress on another thread finishes its chunks inline or with the workers before they see the flag.
        var spinner = new SpinWait();
        while (Volatile.Read(ref _busy) != 0) spinner.SpinOnce();
        foreach (var thread in _threads ?? []) thread.Join();
    }

    /// <summary>One call's chunks: claimed through <see cref="_next"/>, counted down in <see cref="_pending"/>.</summary>
    private sealed class Job(Action<int> body, int chunks)
    {
        private readonly int _chunks = chunks;
        private int _next;
        private int _pending = chunks;
        private Exception? _error;

        public void Work()
        {
            int c;
            while ((c = Interlocked.Increment(ref _next) - 1) < _chunks)
            {
                try
                {
                    body(c);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                }
            }
        }

        public void WaitForAll()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) > 0) spinner.SpinOnce(sleep1Threshold: -1);
        }

        public void ThrowIfFailed()
        {
            if (_error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
        }
    }
}
