// Waiting and running queues (nano-vllm's scheduler, with decodes and prefills in the same step): every running
// sequence decodes each step; waiting sequences are admitted FCFS within the token budget and the KV pool; when the
// pool cannot hold the next decode token, the newest running sequence is preempted and later recomputed.
namespace DyCoke.Engine;

/// <summary>One step's work: sequences to decode, sequences to prefill, and those preempted to make room.</summary>
public sealed record ScheduledStep(IReadOnlyList<Sequence> Decodes, IReadOnlyList<Sequence> Prefills, IReadOnlyList<Sequence> Preempted)
{
    public bool IsEmpty => Decodes.Count == 0 && Prefills.Count == 0;
}

/// <summary>Admission, batching and preemption over a <see cref="KvCachePool"/>. Single-threaded (the step thread).</summary>
public sealed class Scheduler
{
    private readonly KvCachePool _pool;
    private readonly SchedulerOptions _options;
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];

    public Scheduler(KvCachePool pool, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _pool = pool;
        _options = options;
    }

    public IReadOnlyCollection<Sequence> Waiting => _waiting;

    public IReadOnlyList<Sequence> Running => _running;

    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;

    /// <summary>Total preemptions so far.</summary>
    public long NumPreemptions { get; private set; }

    /// <summary>Tokens a sequence must hold KV for when admitted: everything, or just what prefill writes.</summary>
    public int AdmissionTokens(Sequence sequence) =>
        _options.ReserveFullOutput ? sequence.NumPromptTokens + sequence.Sampling.MaxTokens : sequence.NumTokens;

    /// <summary>Whether a sequence could ever be admitted (its reservation fits the empty pool).</summary>
    public bool CanEverAdmit(Sequence sequence) => _pool.Fits(AdmissionTokens(sequence));

    /// <summary>Queues a new sequence at the back.</summary>
    public void Add(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        sequence.Status = SequenceStatus.Waiting;
        _waiting.AddLast(sequence);
    }

    /// <summary>Plans one step: make room for every running sequence's next token (preempting the newest when the pool
    /// is dry), then admit waiting sequences in arrival order while the budget, the batch cap and the pool allow.</summary>
    public ScheduledStep Schedule()
    {
        var preempted = new List<Sequence>();
        var decodes = new List<Sequence>(_running.Count);
        // Oldest first, so when the pool runs dry it is the newest that gives way.
        _running.Sort((a, b) => a.Id.CompareTo(b.Id));
        for (int i = 0; i < _running.Count; i++)
        {
            var seq = _running[i];
            while (!_pool.CanAllocate(seq, seq.NumTokens) && _running[^1] != seq)
            {
                preempted.Add(_running[^1]);
                Preempt(_running[^1]);
            }
            if (!_pool.CanAllocate(seq, seq.NumTokens))
            {
                preempted.Add(seq);
                Preempt(seq);
                break;
            }
            _pool.Allocate(seq, seq.NumTokens);
            decodes.Add(seq);
        }

        var prefills = new List<Sequence>();
        int budget = _options.TokenBudget - decodes.Count;
        while (_waiting.First is { } node && _running.Count < _options.MaxRunningSequences)
        {
            var seq = node.Value;
            bool onlyWork = decodes.Count == 0 && prefills.Count == 0;
            if (seq.NumTokens > budget && !onlyWork) break;
            int reserve = AdmissionTokens(seq);
            if (!_pool.CanAllocate(seq, reserve)) break; // FCFS: nobody overtakes the head
            _pool.Allocate(seq, reserve);
            _waiting.RemoveFirst();
            seq.Status = SequenceStatus.Running;
            _running.Add(seq);
            prefills.Add(seq);
            budget -= seq.NumTokens;
        }
        return new ScheduledStep(decodes, prefills, preempted);
    }

    /// <summary>Removes a sequence (finished, cancelled or failed) from whichever queue holds it and frees its blocks.</summary>
    public void Finish(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Status == SequenceStatus.Running) _running.Remove(sequence);
        else if (sequence.Status == SequenceStatus.Waiting) _waiting.Remove(sequence);
        _pool.Free(sequence);
        sequence.Status = SequenceStatus.Finished;
    }

    // Recompute preemption undoes admission: the sequence keeps its tokens and goes back to the queue's head, and its
    // next prefill rebuilds the KV of prompt + output.
    private void Preempt(Sequence sequence)
    {
        _running.Remove(sequence);
        _pool.Free(sequence);
        sequence.Status = SequenceStatus.Waiting;
        sequence.NumPreemptions++;
        NumPreemptions++;
        _waiting.AddFirst(sequence);
    }
}
