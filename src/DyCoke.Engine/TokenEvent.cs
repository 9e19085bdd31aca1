// What the engine sends back on a request's channel: generated tokens, then exactly one terminal event.
using DyCoke.Compression;
namespace DyCoke.Engine;

/// <summary>Why a sequence ended.</summary>
public enum EngineFinishReason
{
    /// <summary>A stop token id was generated.</summary>
    Stop,
    /// <summary>MaxTokens were generated.</summary>
    Length,
    /// <summary>The caller cancelled (client disconnect, stop string, timeout).</summary>
    Cancelled,
    /// <summary>The engine is shutting down and cut the sequence.</summary>
    Aborted,
}

/// <summary>An event on a request's output channel.</summary>
public abstract record TokenEvent;

/// <summary>A generated token that belongs in the output (stop tokens are reported by <see cref="SequenceFinished"/>).</summary>
/// <param name="TokenId">The sampled id.</param>
public sealed record TokenGenerated(int TokenId) : TokenEvent;

/// <summary>The sequence ended; the channel completes after this event.</summary>
/// <param name="Reason">Why it ended.</param>
/// <param name="PromptTokens">Prompt length in tokens as run (video rows included, after TTM).</param>
/// <param name="CompletionTokens">Tokens generated, the stop token included.</param>
/// <param name="StopTokenId">The stop id that ended it, when <paramref name="Reason"/> is Stop.</param>
public sealed record SequenceFinished(EngineFinishReason Reason, int PromptTokens, int CompletionTokens, int? StopTokenId) : TokenEvent
{
    /// <summary>Prompt rows holding video features (newlines included), after TTM when DyCoke ran; 0 before any prefill.</summary>
    public int VideoTokens { get; init; }

    /// <summary>What DyCoke did (the sequence's final counts), or null when it did not run.</summary>
    public DyCokeStats? DyCoke { get; init; }
}

/// <summary>The engine failed while running the sequence; the channel completes after this event.</summary>
/// <param name="Message">What went wrong, safe to show a client.</param>
public sealed record SequenceFailed(string Message) : TokenEvent;
