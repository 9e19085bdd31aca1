// Engine-wide settings beyond the scheduler's limits: the model's end-of-turn ids and the drain time on shutdown.
namespace DyCoke.Engine;

/// <summary>Settings of an <see cref="Engine"/>.</summary>
public sealed record EngineOptions
{
    public SchedulerOptions Scheduler { get; init; } = new();

    /// <summary>Ids that end every sequence unless it sets IgnoreEos (&lt;|im_end|&gt;, &lt;|endoftext|&gt;).</summary>
    public IReadOnlyList<int> EndOfTurnTokenIds { get; init; } = [];

    /// <summary>Context length cap; the KV pool may lower it further.</summary>
    public int MaxModelLength { get; init; } = 32768;

    /// <summary>Called on the step thread after every step that ran the model; must be quick and must not throw.</summary>
    public Action<EngineStepStats>? StepObserver { get; init; }
}
