// Waiting and running queues with chunked prefill (nano-vllm's scheduler, Sarathi-style chunks): every step decodes
// each running sequence that has finished its prefill, then spends the rest of the token budget on prefill work FCFS,
// continuing partial prefills before admitting waiting sequences. Vision encoding counts against the budget at a video
// token's price per frame. When the pool cannot hold the next token, the newest sequence is preempted and recomputed.
namespace DyCoke.Engine;

/// <summary>One sequence's prefill work in a step: <paramref name="Frames"/> video frames to encode, then up to
/// <paramref name="Tokens"/> prompt tokens to prefill (the runner may prefill fewer when TTM shortened the prompt).</summary>
public readonly record struct PrefillWork(Sequence Sequence, int Frames, int Tokens);

/// <summary>One step's work: sequences to decode, prefill work, those preempted to make room, and the budget the
/// prefill work takes (frames at their token cost plus prompt tokens).</summary>
public sealed record ScheduledStep(IReadOnlyList<Sequence> Decodes, IReadOnlyList<PrefillWork> Prefills, IReadOnlyList<Sequence> Preempted, int PrefillTokens)
{
    public bool IsEmpty => Decodes.Count == 0 && Prefills.Count == 0;
}

/// <summary>Admission, batching, chunking and preemption over a <see cref="KvCachePool"/>. Single-threaded (the step thread).</summary>
public sealed class Scheduler
{
    /// <summary>LLaVA-OneVision's video tokens per frame before TTM (14 × 14), the budget price of encoding one frame.</summary>
    public const int DefaultVisionTokensPerFrame = 196;

    private readonly KvCachePool _pool;
    private readonly SchedulerOptions _options;
    private readonly int _visionTokensPerFrame;
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];
    private readonly List<Sequence> _prefilling = []; // Schedule's scratch: running sequences still prefilling

    /// <summary>A scheduler over <paramref name="pool"/>; encoding a frame costs <paramref name="visionTokensPerFrame"/>
    /// tokens of the step budget (the model's pre-TTM tokens per frame).</summary>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException">visionTokensPerFrame is not positive.</exception>
    public Scheduler(KvCachePool pool, SchedulerOptions options, int visionTokensPerFrame = DefaultVisionTokensPerFrame)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(visionTokensPerFrame);
        options.Validate();
        _pool = pool;
        _options = options;
        _visionTokensPerFrame = visionTokensPerFrame;
    }

    public IReadOnlyCollection<Sequence> Waiting => _waiting;

    /// <summary>Admitted sequences, prefilling or decoding.</summary>
    public IReadOnlyList<Sequence> Running => _running;

    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;

    /// <summary>Total preemptions so far.</summary>
    public long NumPreemptions { get; private set; }

    /// <summary>Tokens a sequence must be able to hold when admitted: everything it may grow to (reserved at once), or
    /// its prompt (checked, then allocated chunk by chunk).</summary>
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

    /// <summary>
    /// Plans one step: make room for every prefilled sequence's next token (preempting the newest when the pool is dry)
    /// and decode them; then, within TokenBudget − decodes, continue partial prefills oldest first and admit waiting
    /// sequences in arrival order while the batch cap and the pool allow. A prompt longer than the budget is split
    /// into chunks over several steps; a frame costs its video tokens, and one frame is encoded even when that alone
    /// exceeds the budget, but only as the step's sole prefill work.
    /// </summary>
    public ScheduledStep Schedule()
    {
        var preempted = new List<Sequence>();
        var decodes = new List<Sequence>(_running.Count);
        // Oldest first, so when the pool runs dry it is the newest that gives way. Admission appends in id order, so
        // only a re-admitted preempted sequence unsorts the list: check before sorting (this runs every step).
        if (!IsOldestFirst(_running)) _running.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        for (int i = 0; i < _running.Count; i++)
        {
            var seq = _running[i];
            if (!seq.IsPrefilled) continue;
            while (!_pool.CanAllocate(seq, seq.NumTokens) && _running[^1] != seq) Preempt(_running[^1], preempted);
            if (!_pool.CanAllocate(seq, seq.NumTokens))
            {
                Preempt(seq, preempted);
                break;
            }
            _pool.Allocate(seq, seq.NumTokens);
            decodes.Add(seq);
        }

        var plan = new PrefillPlan(_options.TokenBudget - decodes.Count, decodes);
        _prefilling.Clear();
        foreach (var seq in _running)
            if (!seq.IsPrefilled) _prefilling.Add(seq);
        foreach (var seq in _prefilling)
        {
            if (seq.Status != SequenceStatus.Running) continue; // preempted to make room for an older one
            if (!TryPlan(seq, plan, preempted)) break;
        }
        _prefilling.Clear();
        while (_waiting.First is { } node && _running.Count < _options.MaxRunningSequences && plan.Budget > 0)
        {
            var seq = node.Value;
            if (!CanStart(seq, plan)) break;
            int reserve = AdmissionTokens(seq);
            if (!_pool.CanAllocate(seq, reserve)) break; // FCFS: nobody overtakes the head
            if (_options.ReserveFullOutput) _pool.Allocate(seq, reserve);
            _waiting.RemoveFirst();
            seq.Status = SequenceStatus.Running;
            _running.Add(seq);
            if (!TryPlan(seq, plan, preempted)) break;
        }
        return new ScheduledStep(decodes, plan.Work, preempted, plan.Spent);
    }

    /// <summary>
    /// Returns the part of a full-output reservation that TTM made unnecessary: admission reserves the request's
    /// pre-TTM prompt + max_tokens (the merged length is unknown until its frames are encoded), so once TTM has
    /// shortened the prompt the surplus blocks go back to the pool for the next admission. Returns the blocks freed.
    /// </summary>
    public int ReleaseSurplus(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (!_options.ReserveFullOutput || sequence.Status != SequenceStatus.Running) return 0;
        return _pool.Shrink(sequence, Math.Max(AdmissionTokens(sequence), sequence.NumTokens));
    }

    /// <summary>Removes a sequence (finished, cancelled or failed) from whichever queue holds it and frees its blocks
    /// and prefill buffers.</summary>
    public void Finish(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.Status == SequenceStatus.Running) _running.Remove(sequence);
        else if (sequence.Status == SequenceStatus.Waiting) _waiting.Remove(sequence);
        _pool.Free(sequence);
        sequence.ReleasePrefill();
        sequence.Status = SequenceStatus.Finished;
    }

    private static bool IsOldestFirst(List<Sequence> sequences)
    {
        for (int i = 1; i < sequences.Count; i++)
            if (sequences[i - 1].Id > sequences[i].Id) return false;
        return true;
    }

    // Whether TryPlan would give the sequence any work with the budget left (so it is not admitted just to wait).
    private bool CanStart(Sequence seq, PrefillPlan plan) =>
        plan.Budget > 0 && (seq.NumFramesToEncode == 0 || plan.Budget >= _visionTokensPerFrame || plan.Work.Count == 0);

    // Adds the sequence's share of the remaining budget to the plan: frames first (a video must be whole before TTM),
    // then prompt tokens once its frames are all encoded this step or before. False when it got nothing, which ends
    // the step's prefill planning (FCFS: nobody behind it may take what it could not).
    private bool TryPlan(Sequence seq, PrefillPlan plan, List<Sequence> preempted)
    {
        if (plan.Budget <= 0) return false;
        int pendingFrames = seq.NumFramesToEncode;
        int frames = Math.Min(pendingFrames, plan.Budget / _visionTokensPerFrame);
        // A frame costs more than the whole budget: encode it anyway, but as the step's only prefill work.
        if (pendingFrames > 0 && frames == 0 && plan.Work.Count == 0) frames = 1;
        int cost = frames * _visionTokensPerFrame;
        int tokens = frames == pendingFrames ? Math.Min(Math.Max(plan.Budget - cost, 0), seq.NumTokensToPrefill) : 0;
        tokens = Grow(seq, tokens, plan, preempted);
        if (frames == 0 && tokens == 0) return false;
        plan.Add(new PrefillWork(seq, frames, tokens), cost + tokens);
        return true;
    }

    // Allocates KV for the next `tokens` prefill tokens of seq (already reserved when ReserveFullOutput), shrinking the
    // chunk to what the pool holds; with no room at all, preempts newer sequences that have no work in this step.
    private int Grow(Sequence seq, int tokens, PrefillPlan plan, List<Sequence> preempted)
    {
        if (tokens == 0) return 0;
        int start = seq.NumCachedTokens;
        int fit = Math.Min(tokens, (seq.NumBlocks + _pool.NumFreeBlocks) * _pool.BlockSize - start);
        while (fit < 1 && _running[^1] is var victim && victim != seq && !plan.Holds(victim))
        {
            Preempt(victim, preempted);
            fit = Math.Min(tokens, (seq.NumBlocks + _pool.NumFreeBlocks) * _pool.BlockSize - start);
        }
        if (fit < 1) return 0;
        _pool.Allocate(seq, start + fit);
        return fit;
    }

    // Recompute preemption undoes admission: the sequence keeps its tokens and goes back to the queue's head, and its
    // next prefill rebuilds the KV of prompt + output from scratch (videos re-encoded: TTM is deterministic).
    private void Preempt(Sequence sequence, List<Sequence> preempted)
    {
        _running.Remove(sequence);
        _pool.Free(sequence);
        sequence.ResetPrefill();
        sequence.Status = SequenceStatus.Waiting;
        sequence.NumPreemptions++;
        NumPreemptions++;
        _waiting.AddFirst(sequence);
        preempted.Add(sequence);
    }

    /// <summary>The prefill side of a step being planned: the budget left and the work so far.</summary>
    private sealed class PrefillPlan(int budget, IReadOnlyList<Sequence> decodes)
    {
        private readonly List<PrefillWork> _work = [];

        public int Budget { get; private set; } = budget;

        public int Spent { get; private set; }

        public IReadOnlyList<PrefillWork> Work => _work;

        public void Add(PrefillWork work, int cost)
        {
            _work.Add(work);
            Budget -= cost;
            Spent += cost;
        }

        /// <summary>Whether the sequence already has work in this step (a decode or a prefill), so it must not be preempted.</summary>
        public bool Holds(Sequence seq) => decodes.Contains(seq) || _work.Any(w => w.Sequence == seq);
    }
}
