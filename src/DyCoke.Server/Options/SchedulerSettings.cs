// The "Scheduler" section: batching limits and KV pool sizing, turned into the engine's options.
using DyCoke.Engine;

namespace DyCoke.Server.Options;

/// <summary>Scheduler and KV-cache settings.</summary>
public sealed record SchedulerSettings
{
    public const string Section = "Scheduler";

    public int MaxRunningSequences { get; init; } = 16;

    public int TokenBudget { get; init; } = 8192;

    /// <summary>Requests in the engine (waiting + running) before new ones get 503.</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    public int BlockSize { get; init; } = 16;

    /// <summary>Reserve KV for prompt + max_tokens at admission (no preemption) instead of growing on demand.</summary>
    public bool ReserveFullOutput { get; init; } = true;

    /// <summary>KV slots per layer; 0 sizes the pool from <see cref="KvMemoryFraction"/>.</summary>
    public int KvCacheSlots { get; init; }

    /// <summary>Fraction of memory the KV pool may take when <see cref="KvCacheSlots"/> is 0: of the GPU's free memory
    /// after the weights (less a reserve of max(1 GiB, 5 % of the GPU) for activations), or of the host memory on the CPU
    /// (capped at four full-length sequences). On a GPU host dedicated to the server, 0.8–0.9 is the usual choice.</summary>
    public double KvMemoryFraction { get; init; } = 0.25;

    public SchedulerOptions ToEngineOptions() => new()
    {
        MaxRunningSequences = MaxRunningSequences,
        TokenBudget = TokenBudget,
        MaxQueuedRequests = MaxQueuedRequests,
        BlockSize = BlockSize,
        ReserveFullOutput = ReserveFullOutput,
    };
}
