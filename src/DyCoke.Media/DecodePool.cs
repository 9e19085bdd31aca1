// Bounds video work so a burst cannot starve the server: at most Workers videos are probed/decoded at once, at most
// QueueLimit more wait, and anything beyond is refused at once with QueueFull (HTTP 503) instead of queueing forever.
// A request takes its place in line before it downloads, so a full server refuses before spending bandwidth.
namespace DyCoke.Media;

/// <summary>A fixed number of decode workers plus a bounded waiting line.</summary>
public sealed class DecodePool : IDisposable
{
    private readonly SemaphoreSlim _workers;
    private readonly int _capacity;
    private int _admitted;

    /// <summary>Creates the pool. Throws <see cref="ArgumentOutOfRangeException"/> for workers &lt; 1 or queueLimit &lt; 0.</summary>
    public DecodePool(int workers, int queueLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLimit);
        Workers = workers;
        QueueLimit = queueLimit;
        _capacity = workers + queueLimit;
        _workers = new SemaphoreSlim(workers, workers);
    }

    /// <summary>Videos decoded at the same time.</summary>
    public int Workers { get; }

    /// <summary>Videos allowed to wait beyond <see cref="Workers"/>.</summary>
    public int QueueLimit { get; }

    /// <summary>Requests admitted and not yet finished (fetching, waiting or decoding).</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Requests holding a worker right now.</summary>
    public int Running => Workers - _workers.CurrentCount;

    /// <summary>
    /// Takes a place in line. Throws <see cref="MediaException"/> (<see cref="MediaErrorKind.QueueFull"/>) when
    /// Workers + QueueLimit requests are already admitted. Dispose the ticket when done.
    /// </summary>
    public Ticket Enter()
    {
        if (Interlocked.Increment(ref _admitted) > _capacity)
        {
            Interlocked.Decrement(ref _admitted);
            throw new MediaException(MediaErrorKind.QueueFull,
                $"The server is busy with other videos ({Workers} decoding, {QueueLimit} waiting); retry in a few seconds.", param: null);
        }
        return new Ticket(this);
    }

    /// <inheritdoc />
    public void Dispose() => _workers.Dispose();

    /// <summary>A place in line; <see cref="WaitForWorkerAsync"/> turns it into a running slot.</summary>
    public sealed class Ticket : IDisposable
    {
        private readonly DecodePool _pool;
        private bool _holdsWorker;
        private bool _disposed;

        internal Ticket(DecodePool pool) => _pool = pool;

        /// <summary>Waits for a free worker; throws <see cref="OperationCanceledException"/> if cancelled first.</summary>
        public async Task WaitForWorkerAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_holdsWorker) return;
            await _pool._workers.WaitAsync(cancellationToken);
            _holdsWorker = true;
        }

        /// <summary>Frees the worker (if held) and the place in line.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (_holdsWorker) _pool._workers.Release();
            Interlocked.Decrement(ref _pool._admitted);
        }
    }
}
