// The HTTP side: one streamed chat completion read by hand (headers first, then raw reads through SseParser, each read
// timestamped as it lands), plus GET /v1/models and GET /metrics. Nothing here interprets timings.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DyCoke.LoadGen;

/// <summary>A minimal OpenAI-API client for load generation.</summary>
internal sealed class OpenAiClient : IDisposable
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    /// <param name="baseAddress">The server root (the /v1 prefix is added here).</param>
    /// <param name="apiKey">Bearer token, or null.</param>
    /// <param name="timeout">Per-request limit, headers to [DONE].</param>
    public OpenAiClient(Uri baseAddress, string? apiKey, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        // One connection per in-flight request, and no client-wide timeout: each request carries its own.
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        // Relative paths resolve against the last '/', so a base without one would lose its last segment.
        var root = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _http = new HttpClient(handler) { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };
        if (apiKey is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        _timeout = timeout;
    }

    /// <summary>The ids GET /v1/models lists.</summary>
    /// <exception cref="HttpRequestException">The server answered with an error status or could not be reached.</exception>
    public async Task<List<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("v1/models", cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET /v1/models answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}");
        using var doc = JsonDocument.Parse(body);
        return [.. doc.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString() ?? "")];
    }

    /// <summary>The Prometheus text of GET /metrics, or null when the server has none or it failed.</summary>
    public async Task<string?> TryScrapeMetricsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("metrics", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) : null;
        }
        catch (HttpRequestException)
        {
            return null; // metrics are optional extras; a server without them still gets measured
        }
    }

    /// <summary>Sends one streamed chat completion and measures it. Never throws for server or network failures:
    /// those come back as a failed <see cref="RequestResult"/>.</summary>
    /// <param name="body">The JSON body from <see cref="RequestBodyBuilder"/>.</param>
    /// <param name="levelStart">The level's start timestamp, for the result's start and end offsets.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<RequestResult> StreamChatAsync(byte[] body, long levelStart, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var recorder = new ResponseRecorder(levelStart, start);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string message = await ReadErrorAsync(response, deadline.Token).ConfigureAwait(false);
                return recorder.Fail(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), message, Stopwatch.GetTimestamp());
            }
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            var parser = new SseParser();
            var events = new List<string>();
            var buffer = new byte[16 * 1024];
            long now = start;
            int read;
            while (!recorder.IsDone && (read = await stream.ReadAsync(buffer, deadline.Token).ConfigureAwait(false)) > 0)
            {
                now = Stopwatch.GetTimestamp();
                parser.Push(buffer.AsSpan(0, read), events);
                foreach (string data in events) recorder.Add(StreamChunk.Parse(data), now);
                events.Clear();
            }
            if (!recorder.IsDone)
            {
                now = Stopwatch.GetTimestamp();
                parser.Complete(events);
                foreach (string data in events) recorder.Add(StreamChunk.Parse(data), now);
            }
            return recorder.Finish(now);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return recorder.Fail("timeout", $"no [DONE] within {_timeout.TotalSeconds:F0} s", Stopwatch.GetTimestamp());
        }
        catch (FormatException e)
        {
            return recorder.Fail("bad_stream", e.Message, Stopwatch.GetTimestamp());
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return recorder.Fail("transport", e.Message, Stopwatch.GetTimestamp());
        }
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxErrorBodyBytes];
        int total = 0, read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0) total += read;
        string text = Encoding.UTF8.GetString(buffer, 0, total);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
                return StreamChunk.ErrorMessage(error);
        }
        catch (JsonException)
        {
            // not OpenAI-shaped: report the raw text
        }
        return text.Length <= 300 ? text : text[..300] + "...";
    }

    public void Dispose() => _http.Dispose();
}
