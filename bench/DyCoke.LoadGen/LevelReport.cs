// The numbers of one (concurrency, DyCoke mode) level, built from its requests: latency summaries over the successful
// ones, aggregate throughput over the level's wall time, and failures counted by kind.
namespace DyCoke.LoadGen;

/// <summary>One level's statistics, as written to the JSON report.</summary>
internal sealed record LevelReport
{
    public int Concurrency { get; init; }

    /// <summary>"on", "off" or "default".</summary>
    public string Dycoke { get; init; } = "";

    public int Requests { get; init; }

    public int Succeeded { get; init; }

    public int Failed { get; init; }

    /// <summary>Failed requests by kind: the HTTP status ("503") or stream_error, incomplete, bad_stream, timeout,
    /// transport.</summary>
    public Dictionary<string, int> Errors { get; init; } = [];

    /// <summary>The first message seen for each error kind.</summary>
    public Dictionary<string, string> ErrorSamples { get; init; } = [];

    /// <summary>Wall time from the level's start to its last response's end.</summary>
    public double DurationS { get; init; }

    /// <summary>Completion tokens of the successful requests (usage.completion_tokens).</summary>
    public long OutputTokens { get; init; }

    public double OutputTokensPerS { get; init; }

    public double RequestsPerS { get; init; }

    public double VideosPerMin { get; init; }

    public double PromptTokensMean { get; init; }

    /// <summary>usage.prompt_tokens_details.video_tokens, mean over requests that report it.</summary>
    public double? VideoTokensMean { get; init; }

    /// <summary>usage.dycoke.video_tokens_before_ttm and _after_ttm, means over requests that report them.</summary>
    public double? DycokeVideoTokensBeforeMean { get; init; }

    public double? DycokeVideoTokensAfterMean { get; init; }

    public double? DycokeDecodeStepsPrunedMean { get; init; }

    /// <summary>Successful requests whose stream had no usage chunk (their token count is the chunk count).</summary>
    public int RequestsWithoutUsage { get; init; }

    public LatencySummary TtftMs { get; init; } = LatencySummary.Empty;

    /// <summary>Gaps between content chunks, pooled over all successful requests.</summary>
    public LatencySummary ItlMs { get; init; } = LatencySummary.Empty;

    public LatencySummary E2eMs { get; init; } = LatencySummary.Empty;

    /// <summary>Per request (e2e − TTFT) / (output tokens − 1).</summary>
    public LatencySummary TpotMs { get; init; } = LatencySummary.Empty;

    /// <summary>Change of selected server counters over the level (GET /metrics); null when not scraped.</summary>
    public Dictionary<string, double>? ServerMetricsDelta { get; init; }

    /// <summary>Aggregates <paramref name="results"/>; <paramref name="videosPerRequest"/> is 0 for text-only runs.</summary>
    public static LevelReport From(int concurrency, DyCokeMode mode, IReadOnlyList<RequestResult> results, int videosPerRequest)
    {
        ArgumentNullException.ThrowIfNull(results);
        var ok = results.Where(r => r.Succeeded).ToList();
        var failed = results.Where(r => !r.Succeeded).ToList();
        // The level starts when its workers start (offset 0), so its length is the latest end.
        double duration = results.Count == 0 ? 0 : results.Max(r => r.EndSeconds);
        long tokens = ok.Sum(r => (long)r.OutputTokens);
        double PerSecond(double count) => duration > 0 ? count / duration : 0;
        double? Mean(Func<UsageInfo, int?> pick)
        {
            var values = ok.Select(r => r.Usage is { } u ? pick(u) : null).Where(v => v.HasValue).Select(v => (double)v!.Value).ToList();
            return values.Count == 0 ? null : values.Average();
        }

        return new LevelReport
        {
            Concurrency = concurrency,
            Dycoke = ModeName(mode),
            Requests = results.Count,
            Succeeded = ok.Count,
            Failed = failed.Count,
            Errors = failed.GroupBy(r => r.ErrorKind!).ToDictionary(g => g.Key, g => g.Count()),
            ErrorSamples = failed.GroupBy(r => r.ErrorKind!).ToDictionary(g => g.Key, g => g.First().ErrorMessage ?? ""),
            DurationS = duration,
            OutputTokens = tokens,
            OutputTokensPerS = PerSecond(tokens),
            RequestsPerS = PerSecond(ok.Count),
            VideosPerMin = PerSecond(ok.Count * videosPerRequest) * 60,
            PromptTokensMean = ok.Count == 0 ? 0 : ok.Average(r => r.Usage?.PromptTokens ?? 0),
            VideoTokensMean = Mean(u => u.VideoTokens),
            DycokeVideoTokensBeforeMean = Mean(u => u.DyCokeVideoTokensBefore),
            DycokeVideoTokensAfterMean = Mean(u => u.DyCokeVideoTokensAfter),
            DycokeDecodeStepsPrunedMean = Mean(u => u.DyCokeDecodeStepsPruned),
            RequestsWithoutUsage = ok.Count(r => r.Usage is null),
            TtftMs = LatencySummary.FromSeconds(ok.Where(r => r.TtftSeconds.HasValue).Select(r => r.TtftSeconds!.Value)),
            ItlMs = LatencySummary.FromSeconds(ok.SelectMany(r => r.ChunkGapsSeconds)),
            E2eMs = LatencySummary.FromSeconds(ok.Select(r => r.E2eSeconds)),
            TpotMs = LatencySummary.FromSeconds(ok.Where(r => r.TpotSeconds.HasValue).Select(r => r.TpotSeconds!.Value)),
        };
    }

    public static string ModeName(DyCokeMode mode) => mode switch
    {
        DyCokeMode.On => "on",
        DyCokeMode.Off => "off",
        _ => "default",
    };
}
