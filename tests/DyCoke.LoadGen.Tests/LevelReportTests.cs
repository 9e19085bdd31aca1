// A level's statistics: throughput over the level's wall time, latencies over successful requests only, failures
// counted by kind, and the usage means; plus the /metrics counter deltas.
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class LevelReportTests
{
    private static RequestResult Ok(double start, double end, double ttft, int tokens, int videoTokens) => new()
    {
        StartSeconds = start,
        EndSeconds = end,
        E2eSeconds = end - start,
        TtftSeconds = ttft,
        ChunkGapsSeconds = [0.01, 0.03],
        ContentChunks = 3,
        Usage = new UsageInfo(100, tokens) { VideoTokens = videoTokens },
    };

    [Fact]
    public void From_MixedResults_AggregatesOverSuccessesAndCountsErrors()
    {
        RequestResult[] results =
        [
            Ok(0, 1, 0.2, 8, 393),
            Ok(0, 2, 0.4, 8, 201),
            new() { ErrorKind = "503", ErrorMessage = "full", StartSeconds = 1, EndSeconds = 1.1 },
            new() { ErrorKind = "503", ErrorMessage = "still full", StartSeconds = 2, EndSeconds = 2.5 },
            new() { ErrorKind = "timeout", ErrorMessage = "slow", StartSeconds = 2, EndSeconds = 4 },
        ];
        var level = LevelReport.From(2, DyCokeMode.On, results, videosPerRequest: 1);

        Assert.Equal(2, level.Concurrency);
        Assert.Equal("on", level.Dycoke);
        Assert.Equal(5, level.Requests);
        Assert.Equal(2, level.Succeeded);
        Assert.Equal(3, level.Failed);
        Assert.Equal(new Dictionary<string, int> { ["503"] = 2, ["timeout"] = 1 }, level.Errors);
        Assert.Equal("full", level.ErrorSamples["503"]);
        Assert.Equal(4, level.DurationS);
        Assert.Equal(16, level.OutputTokens);
        Assert.Equal(4, level.OutputTokensPerS, 9);
        Assert.Equal(0.5, level.RequestsPerS, 9);
        Assert.Equal(30, level.VideosPerMin, 9);
        Assert.Equal(297, level.VideoTokensMean);
        Assert.Null(level.DycokeVideoTokensBeforeMean);
        Assert.Equal(2, level.TtftMs.Count);
        Assert.Equal(300, level.TtftMs.Mean, 6);
        Assert.Equal(4, level.ItlMs.Count);
        Assert.Equal(20, level.ItlMs.Mean, 6);
        Assert.Equal(1500, level.E2eMs.Mean, 6);
        Assert.Equal(0, level.RequestsWithoutUsage);
    }

    [Fact]
    public void From_TextOnly_NoVideosPerMinute()
    {
        var level = LevelReport.From(1, DyCokeMode.Default, [Ok(0, 2, 0.5, 4, 0)], videosPerRequest: 0);
        Assert.Equal("default", level.Dycoke);
        Assert.Equal(0, level.VideosPerMin);
        Assert.Equal(2, level.OutputTokensPerS, 9);
    }

    [Fact]
    public void Delta_TwoScrapes_SumsLabelSetsAndStripsThePrefix()
    {
        const string before = """
            # HELP dycoke:num_preemptions_total Sequences preempted.
            # TYPE dycoke:num_preemptions_total counter
            dycoke:num_preemptions_total{model_name="m"} 2
            dycoke:generation_tokens_total{model_name="m"} 100
            dycoke:media_decode_seconds_sum 1.5
            dycoke:media_decode_seconds_count 3
            dycoke:kv_cache_usage_perc{model_name="m"} 0.5
            """;
        const string after = """
            dycoke:num_preemptions_total{model_name="m"} 5
            dycoke:generation_tokens_total{model_name="m",x="a b"} 150 1700000000
            dycoke:generation_tokens_total{model_name="m",x="c"} 10
            dycoke:media_decode_seconds_sum 2.25
            dycoke:media_decode_seconds_count 6
            """;
        var delta = PrometheusText.Delta(before, after)!;
        Assert.Equal(3, delta["num_preemptions_total"]);
        Assert.Equal(60, delta["generation_tokens_total"]);
        Assert.Equal(0.75, delta["media_decode_seconds_sum"], 9);
        Assert.Equal(3, delta["media_decode_seconds_count"]);
        Assert.False(delta.ContainsKey("kv_cache_usage_perc"));
    }

    [Fact]
    public void Delta_MissingScrape_Null()
    {
        Assert.Null(PrometheusText.Delta(null, "x_total 1"));
    }
}
