// The engine as the server sees it: submit a request, read its events; plus a snapshot for health and metrics.
using System.Threading.Channels;

namespace DyCoke.Engine;

/// <summary>A point-in-time view of the engine for health checks, metrics and tests.</summary>
/// <param name="NumRunning">Sequences decoding.</param>
/// <param name="NumWaiting">Sequences queued (new or preempted).</param>
/// <param name="NumUsedBlocks">KV blocks owned by sequences.</param>
/// <param name="NumFreeBlocks">KV blocks on the free list.</param>
/// <param name="NumBlocks">All KV blocks.</param>
/// <param name="NumPreemptions">Preemptions since start.</param>
/// <param name="IsAlive">False once the step thread has died or stopped.</param>
/// <param name="IsDraining">True once shutdown began: new work is refused.</param>
public sealed record EngineSnapshot(int NumRunning, int NumWaiting, int NumUsedBlocks, int NumFreeBlocks, int NumBlocks,
    long NumPreemptions, bool IsAlive, bool IsDraining)
{
    public double KvUsage => NumBlocks == 0 ? 0 : (double)NumUsedBlocks / NumBlocks;
}

/// <summary>Continuous-batching generation.</summary>
public interface IEngine
{
    /// <summary>The most tokens prompt + output may hold (the model's context or the KV pool, whichever is smaller).</summary>
    int MaxModelLength { get; }

    /// <summary>
    /// Queues <paramref name="request"/>. The reader yields <see cref="TokenGenerated"/> events, then one
    /// <see cref="SequenceFinished"/> or <see cref="SequenceFailed"/>, then completes. Cancelling
    /// <paramref name="cancellationToken"/> ends the sequence (reason Cancelled) and frees its KV within one step.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid or can never fit the KV pool.</exception>
    /// <exception cref="EngineOverloadedException">The queue is full or the engine is draining.</exception>
    ChannelReader<TokenEvent> Submit(EngineRequest request, CancellationToken cancellationToken);

    EngineSnapshot Snapshot();
}
