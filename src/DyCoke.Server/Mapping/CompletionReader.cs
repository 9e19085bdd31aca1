// Reads one sequence's engine events and turns them into client text: incremental detokenization (UTF-8 safe),
// stop strings (held back until decided; a match cancels the sequence), and the final reason and token counts.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DyCoke.Engine;
using DyCoke.Model.Text;
using DyCoke.Server.Metrics;

namespace DyCoke.Server.Mapping;

/// <summary>Text pieces of one generation; after enumeration, how it ended.</summary>
/// <remarks>Token timing goes to <paramref name="metrics"/>: time to first token from <paramref name="startTimestamp"/>
/// (a <see cref="Stopwatch"/> timestamp of the request's arrival), then the gap between tokens.</remarks>
/// <paramref name="deadline"/> is the request timeout: a sequence the engine cut because it fired ends with a 504 error.
public sealed class CompletionReader(ChannelReader<TokenEvent> events, IncrementalDetokenizer detokenizer, StopStringMatcher stops,
    CancellationTokenSource sequence, ServerMetrics metrics, long startTimestamp, CancellationToken deadline = default)
{
    private long _lastToken = startTimestamp;

    /// <summary>"stop", "length" or "abort" once the stream ended normally; null after a failure.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>The stop string or stop token id that ended it (vLLM's stop_reason), if any.</summary>
    public object? StopReason { get; private set; }

    public int CompletionTokens { get; private set; }

    /// <summary>The engine's last word on the sequence (prompt as run, video rows, DyCoke stats); null after a failure.</summary>
    public SequenceFinished? Finished { get; private set; }

    /// <summary>The engine's failure message (or the timeout's), when the sequence failed.</summary>
    public string? Error { get; private set; }

    /// <summary>The HTTP status that goes with <see cref="Error"/>: 500, or 504 for a timeout.</summary>
    public int ErrorStatus { get; private set; } = StatusCodes.Status500InternalServerError;

    /// <summary>Yields non-empty text pieces until the sequence ends, a stop string matches, or the token is cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (client gone).</exception>
    public async IAsyncEnumerable<string> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (e)
            {
                case TokenGenerated token:
                    CompletionTokens++;
                    RecordTiming();
                    string text = stops.Push(detokenizer.Add(token.TokenId));
                    if (stops.Stopped)
                    {
                        // The engine ends the sequence within a step; its terminal event still carries the usage.
                        await sequence.CancelAsync().ConfigureAwait(false);
                        FinishReason = "stop";
                        StopReason = stops.Matched;
                        if (text.Length > 0) yield return text;
                        await DrainAfterStopAsync(cancellationToken).ConfigureAwait(false);
                        yield break;
                    }
                    if (text.Length > 0) yield return text;
                    break;
                case SequenceFinished { Reason: EngineFinishReason.Cancelled } when deadline.IsCancellationRequested:
                    Error = "The request timed out before generation finished.";
                    ErrorStatus = StatusCodes.Status504GatewayTimeout;
                    yield break;
                case SequenceFinished finished:
                    Finished = finished;
                    CompletionTokens = finished.CompletionTokens;
                    string tail = stops.Push(detokenizer.Flush());
                    if (stops.Stopped)
                    {
                        FinishReason = "stop";
                        StopReason = stops.Matched;
                    }
                    else
                    {
                        tail += stops.Flush();
                        FinishReason = finished.Reason switch
                        {
                            EngineFinishReason.Stop => "stop",
                            EngineFinishReason.Length => "length",
                            _ => "abort",
                        };
                        StopReason = finished.StopTokenId;
                    }
                    if (tail.Length > 0) yield return tail;
                    yield break;
                case SequenceFailed failed:
                    Error = failed.Message;
                    yield break;
            }
        }
    }

    // Tokens generated between the stop match and the cancellation being seen are not part of the answer.
    private async Task DrainAfterStopAsync(CancellationToken cancellationToken)
    {
        await foreach (var e in events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            if (e is SequenceFinished finished) Finished = finished;
    }

    private void RecordTiming()
    {
        long now = Stopwatch.GetTimestamp();
        var gap = Stopwatch.GetElapsedTime(_lastToken, now);
        if (CompletionTokens == 1) metrics.TimeToFirstToken.Observe(gap.TotalSeconds);
        else metrics.InterTokenLatency.Observe(gap.TotalSeconds);
        _lastToken = now;
    }
}
