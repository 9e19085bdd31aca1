// Thousands of malformed and hostile bodies against the real server on the real media path: every certainly-invalid
// one gets a 4xx with an OpenAI error object, none gets a 5xx (except the documented 501 for a well-formed non-base64
// data: URL) or hangs, and afterwards the server is healthy, idle, holds no KV block, runs no ffmpeg and has no staged
// file, and still answers a normal request.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>The server with one small clip under its media root, a private staging folder and a status recorder.</summary>
public sealed class FuzzServerFixture : ServerFixture
{
    public const long BodyLimit = 1 << 20;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"dycoke-fuzz-{Guid.NewGuid():N}");

    public FuzzServerFixture()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Staging);
        using var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
            "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", "mpeg4", "-pix_fmt", "yuv420p", "-y", ClipPath]) { RedirectStandardError = true })!;
        string errors = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {errors}");
    }

    public string Root => Path.Combine(_dir, "root");

    public string Staging => Path.Combine(_dir, "staging");

    public string ClipPath => Path.Combine(Root, "clip.mp4");

    public StatusRecorder Recorder { get; } = new();

    protected override string[] ExtraArgs =>
        ["--Media:FileRoots:0", Root, "--Media:TempDirectory", Staging, "--Server:MaxRequestBodyBytes", BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IStartupFilter>(Recorder);

    protected override void DeleteFiles() => Directory.Delete(_dir, recursive: true);
}

public sealed class FuzzTests(FuzzServerFixture server) : IClassFixture<FuzzServerFixture>
{
    private const int Parallelism = 8;

    /// <summary>Longer than any legitimate answer here (most are refused in milliseconds); reaching it is a hang.</summary>
    private static readonly TimeSpan s_perRequest = TimeSpan.FromSeconds(30);

    private List<HostileCase> AllCases()
    {
        string clip = Convert.ToBase64String(File.ReadAllBytes(server.ClipPath));
        var request = new BaseRequest(server.Model.Name, new Uri(server.ClipPath).AbsoluteUri);
        // Damaged bodies cap the answer twice, so that damage to one cap cannot start an unbounded generation.
        string minimal = """{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"max_completion_tokens":2}""";
        string full = request.Edited(false, t => t["max_completion_tokens"] = 2);
        string video = request.Edited(true, t => t["max_completion_tokens"] = 2);
        return
        [
            .. FieldMutations.Cases(request),
            .. HostileUrls.Cases(request, server.Root, clip, FuzzServerFixture.BodyLimit),
            .. HostileInputs.Cases(request, FuzzServerFixture.BodyLimit),
            .. ByteDamage.Cases("minimal", minimal, 400, seed: 1),
            .. ByteDamage.Cases("full", full, 600, seed: 2),
            // A damaged video body that still parses may decode the clip (three ffmpeg runs), so fewer of these.
            .. ByteDamage.Cases("video", video, 150, seed: 3),
        ];
    }

    [Fact]
    public async Task Post_ThousandsOfHostileBodies_All4xxNoHangAndTheServerStaysHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var cases = AllCases();
        Assert.True(cases.Count >= 3000, $"only {cases.Count} cases");

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (c, token) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(s_perRequest);
            try
            {
                var (status, failure) = await SendAsync(c, timeout.Token);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (failure is not null) failures.Enqueue($"{failure}: {c}");
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                failures.Enqueue($"no answer within {s_perRequest.TotalSeconds:0} s: {c}");
            }
            catch (HttpRequestException) when (c is { Status: 413, Chunked: true })
            {
                // Without a length the server can only refuse once the limit is crossed mid-upload; it answers 413 and
                // closes the connection (it will not read megabytes it refuses), so the client may see the close
                // before the answer. The recorder below checks that the server did answer 413.
                statuses.AddOrUpdate(-413, 1, (_, n) => n + 1);
            }
            catch (HttpRequestException e)
            {
                failures.Enqueue($"connection failed ({e.Message}): {c}");
            }
        });
        string summary = $"{cases.Count} cases in {clock.Elapsed.TotalSeconds:0.0} s; statuses "
            + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => p.Key < 0 ? $"{-p.Key} (connection closed mid-upload): {p.Value}" : $"{p.Key}: {p.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(failures.IsEmpty, $"{failures.Count} failures ({summary}):\n" + string.Join("\n", failures.Take(30)));

        // Nothing left behind, and the server still serves.
        await server.Recorder.WaitForNoneInFlightAsync(TimeSpan.FromMinutes(1));
        // The server's own record agrees: its only 5xx are the documented 501s for non-base64 data: URLs.
        Assert.Equal(cases.Count(c => c.Status == 501), server.Recorder.ServerErrors.Count(r => r.Status == 501));
        Assert.All(server.Recorder.ServerErrors, r => Assert.Equal(501, r.Status));
        Assert.Equal(cases.Count(c => c.Status == 413), server.Recorder.Responses.Count(r => r.Status == 413));
        await server.WaitForIdleEngineAsync();
        Assert.Empty(ResourceProbe.MediaToolChildren(reading: server.Root));
        Assert.Empty(ResourceProbe.MediaToolChildren(reading: server.Staging));
        Assert.Empty(ResourceProbe.Leftovers(server.Staging));
        using var health = await server.Http.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var normal = await Wire.PostAsync(server.Http, Wire.Body("Hello there", 3), ct);
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        using var doc = JsonDocument.Parse(await normal.Content.ReadAsStringAsync(ct));
        Assert.Equal("chat.completion", doc.RootElement.GetProperty("object").GetString());
    }

    /// <summary>Sends one case; returns the status and a description of what is wrong with the answer, or null.</summary>
    private async Task<(int Status, string? Failure)> SendAsync(HostileCase c, CancellationToken ct)
    {
        using var content = new ByteArrayContent(c.Body);
        if (c.ContentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        if (c.Chunked) request.Headers.TransferEncodingChunked = true;
        // Over the limit, wait for 100-continue as HTTP intends: a too-long Content-Length is refused before the upload
        // starts, so the client reads the 413 instead of racing the connection close with megabytes in flight.
        if (c.Status == 413) request.Headers.ExpectContinue = true;
        using var response = await server.Http.SendAsync(request, ct);
        int status = (int)response.StatusCode;
        string body = await response.Content.ReadAsStringAsync(ct);
        string? failure = status switch
        {
            _ when c.Status is { } expected && status != expected => $"status {status} instead of {expected}: {Cut(body)}",
            _ when c.Status is { } => ErrorShape(response.Content.Headers.ContentType, body),
            >= 500 => $"server error {status} {Cut(body)}",
            < 400 when !c.MayBeValid => $"invalid body accepted with {status}",
            >= 400 => ErrorShape(response.Content.Headers.ContentType, body),
            200 => SuccessShape(response.Content.Headers.ContentType, body),
            _ => $"unexpected status {status}",
        };
        return (status, failure);
    }

    private static string? ErrorShape(MediaTypeHeaderValue? type, string body)
    {
        if (type?.MediaType != "application/json") return $"error with content type {type}";
        try
        {
            using var doc = JsonDocument.Parse(body);
            var error = doc.RootElement.GetProperty("error");
            if (error.GetProperty("message") is not { ValueKind: JsonValueKind.String } message || string.IsNullOrWhiteSpace(message.GetString()))
                return "error.message is not a non-empty string";
            if (error.GetProperty("type").ValueKind != JsonValueKind.String) return "error.type is not a string";
            if (error.GetProperty("param").ValueKind is not (JsonValueKind.String or JsonValueKind.Null)) return "error.param is not a string or null";
            if (error.GetProperty("code").ValueKind is not (JsonValueKind.String or JsonValueKind.Null)) return "error.code is not a string or null";
            return null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"malformed error body ({e.Message}): {Cut(body)}";
        }
    }

    private static string? SuccessShape(MediaTypeHeaderValue? type, string body)
    {
        if (type?.MediaType == "text/event-stream")
            return body.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal) ? null : $"stream not ended by [DONE]: {Cut(body)}";
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            return root.GetProperty("object").GetString() == "chat.completion"
                && root.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString() == "assistant"
                ? null
                : $"200 without a chat.completion: {Cut(body)}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return $"malformed 200 body ({e.Message}): {Cut(body)}";
        }
    }

    private static string Cut(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
