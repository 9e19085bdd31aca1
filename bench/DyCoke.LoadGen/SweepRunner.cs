// The sweep: resolve the model and the video URL, warm the server up, then for each concurrency level and DyCoke mode
// run a closed loop of C workers sending back-to-back requests, scraping /metrics around each level.
using System.Diagnostics;
using System.Globalization;

namespace DyCoke.LoadGen;

/// <summary>Runs a sweep against one server.</summary>
internal static class SweepRunner
{
    /// <summary>Runs every level of <paramref name="options"/> and returns the report (not yet written anywhere).</summary>
    /// <param name="options">The parsed settings.</param>
    /// <param name="commandLine">The arguments as given, recorded in the report.</param>
    /// <param name="log">Progress lines go here.</param>
    /// <param name="cancellationToken">Stops the sweep; in-flight requests are cancelled.</param>
    /// <exception cref="InvalidOperationException">The server lists no model, or a warm-up request failed (a sweep
    /// against a server that cannot answer would only count errors).</exception>
    /// <exception cref="HttpRequestException">GET /v1/models failed.</exception>
    /// <exception cref="FileNotFoundException">A local --video does not exist.</exception>
    public static async Task<SweepReport> RunAsync(LoadGenOptions options, IReadOnlyList<string> commandLine, TextWriter log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var machine = MachineInfo.Describe();
        string date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        using var client = new OpenAiClient(options.Url, options.ApiKey, options.Timeout);

        string model = options.Model ?? (await client.ListModelsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new InvalidOperationException("GET /v1/models lists no model; pass --model");
        string? videoUrl = options.Video is null ? null : VideoSource.ToUrl(options.Video, options.Inline);
        var bodies = options.DyCoke.ToDictionary(m => m, m => RequestBodyBuilder.Build(model, options.Prompt, videoUrl, options.Frames, options.MaxTokens, m));
        log.WriteLine($"model {model}, video {(videoUrl is null ? "none" : VideoSource.Describe(videoUrl))}, {options.Frames} frames, {options.MaxTokens} tokens");

        foreach (var mode in options.DyCoke)
        {
            for (int i = 0; i < options.Warmup; i++)
            {
                var warm = await client.StreamChatAsync(bodies[mode], Stopwatch.GetTimestamp(), cancellationToken).ConfigureAwait(false);
                if (!warm.Succeeded)
                    throw new InvalidOperationException($"warm-up request (dycoke {LevelReport.ModeName(mode)}) failed: {warm.ErrorKind}: {warm.ErrorMessage}");
                log.WriteLine($"warm-up dycoke {LevelReport.ModeName(mode)}: {warm.E2eSeconds * 1000:F0} ms, {warm.OutputTokens} tokens");
            }
        }

        var levels = new List<LevelReport>();
        // Modes alternate inside each concurrency level so slow drift on a shared machine hits both alike.
        foreach (int concurrency in options.Concurrency)
        {
            foreach (var mode in options.DyCoke)
            {
                string? before = options.ScrapeMetrics ? await client.TryScrapeMetricsAsync(cancellationToken).ConfigureAwait(false) : null;
                var results = await RunLevelAsync(client, bodies[mode], concurrency, options, cancellationToken).ConfigureAwait(false);
                string? after = options.ScrapeMetrics ? await client.TryScrapeMetricsAsync(cancellationToken).ConfigureAwait(false) : null;
                var level = LevelReport.From(concurrency, mode, results, videoUrl is null ? 0 : 1) with { ServerMetricsDelta = PrometheusText.Delta(before, after) };
                levels.Add(level);
                string errors = level.Failed > 0 ? "  errors " + string.Join(", ", level.Errors.Select(e => $"{e.Key} x{e.Value}")) : "";
                log.WriteLine(FormattableString.Invariant(
                    $"C={concurrency,-3} dycoke {level.Dycoke,-7} {level.Succeeded}/{level.Requests} ok  {level.OutputTokensPerS,8:F1} tok/s  TTFT p50 {level.TtftMs.P50,8:F1} ms  ITL p50 {level.ItlMs.P50,7:F1} ms  e2e p50 {level.E2eMs.P50,8:F1} ms{errors}"));
            }
        }

        return new SweepReport
        {
            DateUtc = date,
            Machine = machine with { LoadAverageEnd = MachineInfo.LoadAverage() },
            CommandLine = commandLine,
            Url = options.Url.AbsoluteUri,
            Model = model,
            Settings = new RunSettings
            {
                Video = videoUrl is null ? null : VideoSource.Describe(videoUrl),
                Frames = options.Frames,
                MaxTokens = options.MaxTokens,
                Prompt = options.Prompt,
                RequestsPerLevel = options.RequestsPerLevel,
                DurationS = options.Duration?.TotalSeconds,
                Warmup = options.Warmup,
            },
            Levels = levels,
        };
    }

    /// <summary>One closed-loop level: <paramref name="concurrency"/> workers, each sending its next request as soon
    /// as the previous one ends, until the level's request count is used up or its duration has passed (requests in
    /// flight then still finish and count).</summary>
    private static async Task<List<RequestResult>> RunLevelAsync(OpenAiClient client, byte[] body, int concurrency, LoadGenOptions options,
        CancellationToken cancellationToken)
    {
        long levelStart = Stopwatch.GetTimestamp();
        int remaining = options.RequestsPerLevel ?? int.MaxValue;
        var results = new List<RequestResult>();

        async Task WorkerAsync()
        {
            while (true)
            {
                if (options.Duration is { } duration ? Stopwatch.GetElapsedTime(levelStart) >= duration : Interlocked.Decrement(ref remaining) < 0)
                    return;
                var result = await client.StreamChatAsync(body, levelStart, cancellationToken).ConfigureAwait(false);
                lock (results) results.Add(result);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync, cancellationToken))).ConfigureAwait(false);
        results.Sort((a, b) => a.StartSeconds.CompareTo(b.StartSeconds));
        return results;
    }
}
