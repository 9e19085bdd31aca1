// One request's measurements, and the recorder that builds them from timestamped stream events. Kept apart from the
// HTTP code so the timing rules (what counts as the first token, which gaps are inter-token latency) are testable.
using System.Diagnostics;

namespace DyCoke.LoadGen;

/// <summary>How one request went. Times are seconds; <see cref="StartSeconds"/> and <see cref="EndSeconds"/> count
/// from the start of its level.</summary>
internal sealed record RequestResult
{
    /// <summary>Null on success; otherwise the HTTP status ("503"), or stream_error, incomplete, bad_stream, timeout,
    /// transport.</summary>
    public string? ErrorKind { get; init; }

    public string? ErrorMessage { get; init; }

    public bool Succeeded => ErrorKind is null;

    public double StartSeconds { get; init; }

    public double EndSeconds { get; init; }

    /// <summary>From sending to the end of the stream, measured directly (not <see cref="EndSeconds"/> −
    /// <see cref="StartSeconds"/>, whose rounding could put it a hair below a TTFT taken at the same instant).</summary>
    public double E2eSeconds { get; init; }

    /// <summary>Time to the first chunk with non-empty delta content; null if none came.</summary>
    public double? TtftSeconds { get; init; }

    /// <summary>Gaps between consecutive content chunks (a chunk may carry several tokens).</summary>
    public IReadOnlyList<double> ChunkGapsSeconds { get; init; } = [];

    public int ContentChunks { get; init; }

    public string? FinishReason { get; init; }

    /// <summary>The usage chunk; null if the server sent none.</summary>
    public UsageInfo? Usage { get; init; }

    /// <summary>Output tokens: the usage count, else the number of content chunks (a lower bound).</summary>
    public int OutputTokens => Usage?.CompletionTokens ?? ContentChunks;

    /// <summary>Time per output token after the first: (e2e - TTFT) / (tokens - 1); null below two tokens.</summary>
    public double? TpotSeconds => TtftSeconds is { } ttft && OutputTokens > 1 ? (E2eSeconds - ttft) / (OutputTokens - 1) : null;
}

/// <summary>Accumulates one streamed response. Timestamps are <see cref="Stopwatch.GetTimestamp"/> values.</summary>
internal sealed class ResponseRecorder(long levelStart, long requestStart)
{
    private readonly List<double> _gaps = [];
    private long _lastContent;
    private double? _ttft;
    private int _chunks;
    private string? _finish;
    private UsageInfo? _usage;
    private string? _error;

    /// <summary>True once [DONE] arrived; later bytes are not part of the response.</summary>
    public bool IsDone { get; private set; }

    /// <summary>Takes one event that arrived at <paramref name="timestamp"/>.</summary>
    public void Add(StreamChunk chunk, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.IsDone)
        {
            IsDone = true;
            return;
        }
        if (chunk.Error is not null) _error ??= chunk.Error;
        if (chunk.ContentLength > 0)
        {
            if (_chunks == 0) _ttft = Seconds(requestStart, timestamp);
            else _gaps.Add(Seconds(_lastContent, timestamp));
            _lastContent = timestamp;
            _chunks++;
        }
        _finish = chunk.FinishReason ?? _finish;
        _usage = chunk.Usage ?? _usage;
    }

    /// <summary>The result once the stream ended at <paramref name="end"/>.</summary>
    public RequestResult Finish(long end)
    {
        // An error event is a failed request even though the status was 200; a stream that stops without [DONE]
        // was cut off, and its counts cannot be trusted.
        string? kind = _error is not null ? "stream_error" : !IsDone ? "incomplete" : null;
        string? message = _error ?? (IsDone ? null : "the stream ended without data: [DONE]");
        return new RequestResult
        {
            ErrorKind = kind,
            ErrorMessage = message,
            StartSeconds = Seconds(levelStart, requestStart),
            EndSeconds = Seconds(levelStart, end),
            E2eSeconds = Seconds(requestStart, end),
            TtftSeconds = _ttft,
            ChunkGapsSeconds = _gaps,
            ContentChunks = _chunks,
            FinishReason = _finish,
            Usage = _usage,
        };
    }

    /// <summary>A request that failed before or while streaming, with no usable measurements.</summary>
    public RequestResult Fail(string kind, string message, long end) => new()
    {
        ErrorKind = kind,
        ErrorMessage = message,
        StartSeconds = Seconds(levelStart, requestStart),
        EndSeconds = Seconds(levelStart, end),
        E2eSeconds = Seconds(requestStart, end),
    };

    private static double Seconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;
}
