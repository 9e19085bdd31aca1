// The server's Prometheus metrics (openai-api.md §6, vLLM's names under our "dycoke:" prefix): engine gauges read
// from the engine snapshot at scrape time, request counters and latency histograms recorded by the chat endpoint.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DyCoke.Server.Hosting;

namespace DyCoke.Server.Metrics;

/// <summary>Counters and histograms of served requests; rendered in the Prometheus text format.</summary>
public sealed class ServerMetrics(ServedModel model)
{
    private static readonly double[] s_latency = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly double[] s_tokens = [1, 8, 32, 128, 512, 1024, 2048, 4096, 8192, 16384];

    private readonly ConcurrentDictionary<string, long> _finished = new();
    private long _promptTokens;
    private long _generationTokens;
    private long _disconnects;
    private long _rejected;
    private long _probeCacheHits;
    private long _frameCacheHits;
    private long _dycokeBefore;
    private long _dycokeAfter;
    private long _dycokePrunedSteps;

    public Histogram TimeToFirstToken { get; } = new("dycoke:time_to_first_token_seconds", "Time from request arrival to the first generated token.", s_latency);

    public Histogram InterTokenLatency { get; } = new("dycoke:inter_token_latency_seconds", "Time between consecutive generated tokens of a request.", s_latency);

    public Histogram EndToEndLatency { get; } = new("dycoke:e2e_request_latency_seconds", "Time from request arrival to its last byte.", s_latency);

    public Histogram PromptTokensPerRequest { get; } = new("dycoke:request_prompt_tokens", "Prompt tokens per request (video rows included).", s_tokens);

    public Histogram GenerationTokensPerRequest { get; } = new("dycoke:request_generation_tokens", "Generated tokens per request.", s_tokens);

    public Histogram VideoTokensPerRequest { get; } = new("dycoke:request_video_tokens", "Video feature rows in the prompt per request with video.", s_tokens);

    public Histogram MediaFetchSeconds { get; } = new("dycoke:media_fetch_seconds", "Time to fetch or stage one video.", s_latency);

    public Histogram MediaDecodeSeconds { get; } = new("dycoke:media_decode_seconds", "Time to probe, decode and preprocess one video.", s_latency);

    public Histogram FramesPerVideo { get; } = new("dycoke:video_frames", "Frames sampled per video.", [1, 2, 4, 8, 16, 32, 64, 128]);

    /// <summary>Records what DyCoke did for one finished request (counts include each video's newline).</summary>
    public void RecordDyCoke(int videoTokensBefore, int videoTokensAfter, int prunedSteps)
    {
        Interlocked.Add(ref _dycokeBefore, videoTokensBefore);
        Interlocked.Add(ref _dycokeAfter, videoTokensAfter);
        Interlocked.Add(ref _dycokePrunedSteps, prunedSteps);
    }

    /// <summary>Records a request that produced a response with <paramref name="finishReason"/>.</summary>
    public void RecordFinished(string finishReason, int promptTokens, int completionTokens, int videoTokens, TimeSpan elapsed)
    {
        _finished.AddOrUpdate(finishReason, 1, (_, n) => n + 1);
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _generationTokens, completionTokens);
        PromptTokensPerRequest.Observe(promptTokens);
        GenerationTokensPerRequest.Observe(completionTokens);
        if (videoTokens > 0) VideoTokensPerRequest.Observe(videoTokens);
        EndToEndLatency.Observe(elapsed.TotalSeconds);
    }

    public void RecordClientDisconnect() => Interlocked.Increment(ref _disconnects);

    /// <summary>Counts a request refused because the engine was full or draining (503).</summary>
    public void RecordRejected() => Interlocked.Increment(ref _rejected);

    /// <summary>Records a video whose probe came from the loader's content cache (no ffprobe run).</summary>
    public void RecordProbeCacheHit() => Interlocked.Increment(ref _probeCacheHits);

    /// <summary>Records a video whose preprocessed frames came from the loader's content cache (no ffmpeg run).</summary>
    public void RecordFrameCacheHit() => Interlocked.Increment(ref _frameCacheHits);

    /// <summary>The Prometheus text exposition (format 0.0.4).</summary>
    public string Render()
    {
        var snapshot = model.Engine.Snapshot();
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string label = $"model_name=\"{model.Name}\"";
        void Metric(string name, string type, string help, string value, string labels = "")
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            sb.Append(name).Append('{').Append(label).Append(labels).Append("} ").Append(value).Append('\n');
        }
        Metric("dycoke:num_requests_running", "gauge", "Sequences decoding.", snapshot.NumRunning.ToString(inv));
        Metric("dycoke:num_requests_waiting", "gauge", "Sequences waiting for admission.", snapshot.NumWaiting.ToString(inv));
        Metric("dycoke:kv_cache_usage_perc", "gauge", "Fraction of KV blocks in use (0-1).", snapshot.KvUsage.ToString(inv));
        Metric("dycoke:kv_cache_blocks", "gauge", "KV blocks in the pool.", snapshot.NumBlocks.ToString(inv));
        Metric("dycoke:num_preemptions_total", "counter", "Sequences preempted for recompute.", snapshot.NumPreemptions.ToString(inv));
        Metric("dycoke:prompt_tokens_total", "counter", "Prompt tokens of finished requests.", Interlocked.Read(ref _promptTokens).ToString(inv));
        Metric("dycoke:generation_tokens_total", "counter", "Generated tokens of finished requests.", Interlocked.Read(ref _generationTokens).ToString(inv));
        Metric("dycoke:http_requests_client_disconnected_total", "counter", "Requests whose client went away before the end.", Interlocked.Read(ref _disconnects).ToString(inv));
        Metric("dycoke:requests_rejected_total", "counter", "Requests refused with 503 (queue full or draining).", Interlocked.Read(ref _rejected).ToString(inv));
        Metric("dycoke:media_frame_cache_hits_total", "counter", "Videos whose frames came from the cache of byte-identical videos sampled alike (no ffmpeg run).", Interlocked.Read(ref _frameCacheHits).ToString(inv));
        Metric("dycoke:media_probe_cache_hits_total", "counter", "Videos whose probe came from the cache of byte-identical videos (no ffprobe run).", Interlocked.Read(ref _probeCacheHits).ToString(inv));
        Metric("dycoke:video_tokens_before_ttm_total", "counter", "Video tokens before DyCoke's temporal merging.", Interlocked.Read(ref _dycokeBefore).ToString(inv));
        Metric("dycoke:video_tokens_after_ttm_total", "counter", "Video tokens after DyCoke's temporal merging.", Interlocked.Read(ref _dycokeAfter).ToString(inv));
        Metric("dycoke:decode_steps_pruned_total", "counter", "Decode steps that attended to a pruned visual KV span.", Interlocked.Read(ref _dycokePrunedSteps).ToString(inv));
        sb.Append("# HELP dycoke:request_success_total Finished requests by finish reason.\n# TYPE dycoke:request_success_total counter\n");
        foreach (var (reason, n) in _finished.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append("dycoke:request_success_total{").Append(label).Append(",finished_reason=\"").Append(reason).Append("\"} ").Append(n).Append('\n');
        foreach (var h in new[] { TimeToFirstToken, InterTokenLatency, EndToEndLatency, PromptTokensPerRequest, GenerationTokensPerRequest, VideoTokensPerRequest,
            MediaFetchSeconds, MediaDecodeSeconds, FramesPerVideo })
            h.WriteTo(sb);
        return sb.ToString();
    }
}
