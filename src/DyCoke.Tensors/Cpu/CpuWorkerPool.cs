// The CPU backend's own worker threads: a parallel op hands its chunks to threads that are already awake instead of
// to Parallel.For, whose thread-pool hand-off costs more than a whole decode-sized op (docs/decisions.md, "CPU
// thread dispatch").
using System.Collections.Concurrent;
using System.Diagnostics;

namespace DyCoke.Tensors.Cpu;

/// <summary>
/// Threads − 1 dedicated background threads plus the calling thread run the chunks of one parallel call. Workers spin
/// for <see cref="SpinMicroseconds"/> after their last chunk, so the next op of a model step finds them awake, then
/// sleep until the next call. The caller always works too: it starts on the first of the call's per-thread regions
/// and takes over the chunks of any region whose thread is late, so a worker that wakes late only means less help,
/// never a wait (see <see cref="Job"/>). A call that finds the pool busy (a concurrent caller, or a nested
/// call from inside a chunk) runs its chunks inline. <see cref="Start"/> queues a job without working or waiting
/// on it: the workers run queued jobs in order whenever no parallel call needs them, and the caller's Wait takes
/// over whatever chunks they have not.
/// </summary>
internal sealed class CpuWorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins before it sleeps: longer than the gap between two ops of a decode step.</summary>
    public const int SpinMicroseconds = 200;

    private static readonly long s_spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private Thread[]? _threads; // started on the first parallel call or background start: most backends in tests make neither
    private readonly object _gate = new();
    private Job? _job; // the latest parallel call's
    private readonly ConcurrentQueue<Job> _background = new(); // started host work, oldest first
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
            var job = new Job(body, chunks, Threads);
            Publish(job);
            job.Work(0);
            job.WaitForAll();
            job.ThrowIfFailed();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Starts body(c) for every c in [0, chunks) on the workers and returns at once, for host work that can run while
    /// the caller issues its next ops. Started work is queued: the workers take it in order, after any parallel call.
    /// <see cref="IHostWork.Wait"/> runs every chunk no worker has taken yet on the waiting thread (the workers all
    /// busy, asleep or descheduled, or simply not done), so waiting never takes longer than running the rest in place
    /// would. Runs everything here and now when the pool has no workers or is stopping.
    /// </summary>
    public IHostWork Start(int chunks, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunks);
        ArgumentNullException.ThrowIfNull(body);
        var job = new Job(body, chunks, Threads);
        if (Threads == 1 || _stopping || chunks == 0)
        {
            job.Work(0);
            return job;
        }
        // Queued, not published in the call slot: a parallel call made before a worker gets to it must not hide it,
        // or a piece of host work nobody waits for soon (a step's token events) would sit there until someone did.
        EnsureThreads();
        _background.Enqueue(job);
        WakeSleepers();
        return job;
    }

    // Makes job the one the workers take next and wakes any that sleep.
    private void Publish(Job job)
    {
        EnsureThreads();
        Volatile.Write(ref _job, job);
        WakeSleepers();
    }

    private void EnsureThreads()
    {
        if (_threads is null)
            lock (_gate) _threads ??= StartThreads();
    }

    private void WakeSleepers()
    {
        // Full fence between publishing work and reading _sleepers; a worker going to sleep does the mirror image
        // (increments _sleepers, then looks for work), so at least one of the two sees the other.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _sleepers) > 0)
            lock (_gate) Monitor.PulseAll(_gate);
    }

    private Thread[] StartThreads()
    {
        var threads = new Thread[Threads - 1];
        for (int i = 0; i < threads.Length; i++)
        {
            int participant = i + 1;
            threads[i] = new Thread(() => WorkerLoop(participant)) { IsBackground = true, Name = $"dycoke-cpu-{participant}" };
            threads[i].Start();
        }
        return threads;
    }

    private void WorkerLoop(int participant)
    {
        Job? last = null;
        while (!_stopping)
        {
            // A parallel call first (its caller is waiting on it), then queued host work, oldest first. A queued job
            // whose chunks a waiter has taken already costs one look here.
            Job? job = Volatile.Read(ref _job);
            if (!ReferenceEquals(job, last))
            {
                last = job;
                job!.Work(participant);
            }
            else if (_background.TryPeek(out var queued))
            {
                // Peeked, not taken, so every worker can join a job of many chunks. Work returns once every chunk is
                // claimed; then one of the workers that ran it drops it, and while it is the head nothing else can be.
                queued.Work(participant);
                if (queued.TryRetire()) _background.TryDequeue(out _);
            }
            else if (!WaitForWork(last)) return;
        }
    }

    private bool HasWork(Job? last) => !ReferenceEquals(Volatile.Read(ref _job), last) || !_background.IsEmpty;

    // Spins, then sleeps on the gate, until a new call or queued job appears; false when the pool is stopping.
    private bool WaitForWork(Job? last)
    {
        long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_stopping) return false;
            if (HasWork(last)) return true;
            // PAUSE instructions only, no yield: a worker that gives its core away is asleep when the next op comes.
            // One SpinWait iteration (~60 ns here) between looks, so a new op is picked up within a fraction of a µs.
            Thread.SpinWait(1);
        }
        lock (_gate)
        {
            Interlocked.Increment(ref _sleepers);
            try
            {
                while (!_stopping && !HasWork(last)) Monitor.Wait(_gate);
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
        }
        return !_stopping;
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

    /// <summary>
    /// One call's chunks, split into one contiguous region per participant (the caller is participant 0). Each
    /// participant claims its own region first, then helps the others: when the regions finish evenly, the same
    /// chunks land on the same thread call after call, so a thread's caches keep the data of its chunks (an op over
    /// 16 sequences' KV reads the same half on each core every step); a late or preempted participant's region is taken
    /// over chunk by chunk, so nobody waits for it.
    /// </summary>
    private sealed class Job : IHostWork
    {
        private readonly Action<int> _body;
        private readonly int _regions;
        // [regions · Pad]: region r's next unclaimed chunk at r · Pad and its end (exclusive) at r · Pad + 1, on a
        // cache line of their own, so claims in different regions do not contend. One array: one allocation per call.
        private readonly int[] _claims;
        private int _pending;
        private int _retired; // 1 once a worker dropped it from the background queue
        private Exception? _error;

        private const int Pad = 16; // ints per region: one 64-byte line

        public Job(Action<int> body, int chunks, int participants)
        {
            _body = body;
            _regions = Math.Min(chunks, participants);
            _claims = new int[_regions * Pad];
            for (int r = 0; r < _regions; r++)
            {
                _claims[r * Pad] = (int)((long)chunks * r / _regions);
                _claims[r * Pad + 1] = (int)((long)chunks * (r + 1) / _regions);
            }
            _pending = chunks;
        }

        public void Work(int participant)
        {
            int done = 0;
            for (int i = 0; i < _regions; i++)
            {
                int r = (participant + i) % _regions, end = _claims[r * Pad + 1];
                int c;
                while ((c = Interlocked.Increment(ref _claims[r * Pad]) - 1) < end)
                {
                    try
                    {
                        _body(c);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _error, e, null);
                    }
                    done++;
                }
            }
            // One count-down per participant, not per chunk: every chunk's decrement was a cross-core atomic on the
            // line the caller polls.
            if (done > 0) Interlocked.Add(ref _pending, -done);
        }

        /// <summary>True for the one caller that gets to drop this job from the background queue.</summary>
        public bool TryRetire() => Interlocked.Exchange(ref _retired, 1) == 0;

        public void WaitForAll()
        {
            // Tight PAUSE spinning first: the other participants are inside their last chunk, a few µs at most, and
            // SpinWait.SpinOnce's growing back-off overshot that by about a microsecond per call. A participant that
            // was preempted mid-chunk can take a scheduler slice; then yield.
            long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
            while (Volatile.Read(ref _pending) > 0)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    var spinner = new SpinWait();
                    while (Volatile.Read(ref _pending) > 0) spinner.SpinOnce(sleep1Threshold: -1);
                    return;
                }
                Thread.SpinWait(1);
            }
        }

        /// <summary>Background work (<see cref="Start"/>): runs the chunks no worker took, waits for the rest.</summary>
        public void Wait()
        {
            Work(0);
            WaitForAll();
            ThrowIfFailed();
        }

        public void ThrowIfFailed()
        {
            if (_error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
        }
    }
}
