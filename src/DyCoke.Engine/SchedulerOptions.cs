// The scheduler's limits (appsettings "Scheduler" section; architecture.md §8).
namespace DyCoke.Engine;

/// <summary>Limits of continuous batching.</summary>
public sealed record SchedulerOptions
{
    /// <summary>The most sequences running (decoding) at once.</summary>
    public int MaxRunningSequences { get; init; } = 16;

    /// <summary>
    /// Tokens per step: one per decoding sequence, the rest for prefill chunks (a prompt longer than what is left is
    /// split over several steps, so decodes are never held up by more than one budget of prefill). Encoding a video
    /// frame costs its pre-TTM tokens (196); a frame is encoded alone when it costs more than the whole budget.
    /// </summary>
    public int TokenBudget { get; init; } = 8192;

    /// <summary>The most requests in the engine (waiting + running); beyond it Submit refuses with
    /// <see cref="EngineOverloadedException"/>.</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    /// <summary>KV slots per block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>
    /// Reserve KV blocks for prompt + max_tokens at admission (never over-commits, never preempts). When false, blocks
    /// are taken as tokens arrive and the newest sequence is preempted (recomputed later) when the pool runs dry.
    /// </summary>
    public bool ReserveFullOutput { get; init; } = true;

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentException">A limit is not positive.</exception>
    public void Validate()
    {
        if (MaxRunningSequences < 1) throw new ArgumentException("MaxRunningSequences must be >= 1", nameof(MaxRunningSequences));
        if (TokenBudget < 1) throw new ArgumentException("TokenBudget must be >= 1", nameof(TokenBudget));
        if (MaxQueuedRequests < 1) throw new ArgumentException("MaxQueuedRequests must be >= 1", nameof(MaxQueuedRequests));
        if (BlockSize < 1) throw new ArgumentException("BlockSize must be >= 1", nameof(BlockSize));
    }
}
