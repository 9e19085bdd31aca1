// What one engine step did and where its time went, handed to EngineOptions.StepObserver on the step thread: the
// numbers behind the step-time metrics and the engine benchmark's overhead split (host work vs model forward).
namespace DyCoke.Engine;

/// <summary>
/// One step of the engine loop. Seconds are wall time on the step thread: <see cref="ScheduleSeconds"/> plans the
/// step, <see cref="DecodeSeconds"/> and <see cref="PrefillSeconds"/> run the model (batch tensors, forward and the
/// logits read-back), <see cref="SampleSeconds"/> picks tokens and emits events.
/// </summary>
public sealed record EngineStepStats
{
    /// <summary>Sequences decoded this step (one token each).</summary>
    public int DecodeSequences { get; init; }

    /// <summary>Sequences that ran prefill this step.</summary>
    public int PrefillSequences { get; init; }

    /// <summary>Budget tokens of this step's prefill work: frames encoded at their token cost plus prompt tokens.</summary>
    public int PrefillTokens { get; init; }

    /// <summary>Sequences preempted to make room this step.</summary>
    public int Preempted { get; init; }

    public double ScheduleSeconds { get; init; }

    public double DecodeSeconds { get; init; }

    public double PrefillSeconds { get; init; }

    public double SampleSeconds { get; init; }

    /// <summary>The whole step, from planning to the last event written.</summary>
    public double TotalSeconds { get; init; }
}
