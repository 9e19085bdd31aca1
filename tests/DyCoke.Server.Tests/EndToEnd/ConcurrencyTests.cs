// 64 simultaneous streaming requests with real videos (file: and data: URLs through ffprobe/ffmpeg), a third of the
// clients hanging up at random points, and clients that drop while ffmpeg is still decoding. Afterwards nothing may
// be left: no 5xx, no KV block, no ffmpeg child, no staged file, and memory back to its baseline.
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

[Collection(ResourceAccountingCollection.Name)]
public sealed class ConcurrencyTests(ClipServerFixture server) : IClassFixture<ClipServerFixture>
{
    private const int Streams = 64;

    /// <summary>
    /// Allowed managed-heap growth over the 64-stream round. Not zero because a full GC still leaves caches that keep
    /// what they grew to (ArrayPool buckets, Kestrel's pinned block pool, histogram and logging state); measured growth
    /// is about 0.1 MB. A per-request leak would exceed it: one leaked frame of [3, 384, 384] floats is 1.7 MB.
    /// </summary>
    private const long ManagedSlackBytes = 4L << 20;

    private enum Drop
    {
        None,
        BeforeFirstByte,
        AfterHeaders,
        MidStream,
    }

    private sealed record Plan(string Url, int Frames, int MaxTokens, bool IncludeUsage, Drop Drop, int DropDelayMs, int DropAfterEvents);

    private List<Plan> Plans(int seed, int count)
    {
        var rng = new Random(seed);
        var plans = new List<Plan>(count);
        for (int i = 0; i < count; i++)
        {
            var clip = ClipServerFixture.Clips[i % ClipServerFixture.Clips.Length];
            string url = rng.Next(4) == 0 ? server.DataUrl(clip) : server.FileUrl(clip);
            var drop = i % 3 == 0 ? (Drop)(1 + rng.Next(3)) : Drop.None;
            // Dropping clients ask for a long answer so they are still being served when they hang up.
            plans.Add(new Plan(url, 1 + rng.Next(4), drop == Drop.None ? 2 + rng.Next(6) : 64, rng.Next(2) == 0, drop,
                rng.Next(0, 400), 1 + rng.Next(5)));
        }
        return plans;
    }

    private static string Body(string url, int frames, int maxTokens, bool includeUsage) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["messages"] = new object[]
        {
            new { role = "user", content = new object[] { new { type = "video_url", video_url = new { url } }, new { type = "text", text = "Describe the video." } } },
        },
        ["max_tokens"] = maxTokens,
        ["stream"] = true,
        ["stream_options"] = new { include_usage = includeUsage },
        ["ignore_eos"] = true,
        ["media_io_kwargs"] = new { video = new { num_frames = frames } },
    });

    private static HttpRequestMessage Request(Plan plan) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Content = new StringContent(Body(plan.Url, plan.Frames, plan.MaxTokens, plan.IncludeUsage), Encoding.UTF8, "application/json"),
    };

    /// <summary>Runs one client; true when it read a whole stream, false when it hung up as planned.</summary>
    private static async Task<bool> RunAsync(HttpClient http, Plan plan)
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = Request(plan);
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (plan.Drop == Drop.BeforeFirstByte) hangUp.CancelAfter(plan.DropDelayMs);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, hangUp.Token);
        }
        catch (OperationCanceledException) when (plan.Drop == Drop.BeforeFirstByte && !ct.IsCancellationRequested)
        {
            return false; // the connection is torn down while the server fetches, decodes or queues
        }
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            if (plan.Drop is Drop.BeforeFirstByte or Drop.AfterHeaders) return false; // disposing drops the connection
            if (plan.Drop == Drop.MidStream)
            {
                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                using var reader = new StreamReader(stream);
                for (int read = 0; read < plan.DropAfterEvents && await reader.ReadLineAsync(ct) is { } line;)
                {
                    if (line.Length > 0) read++;
                }
                return false;
            }
            var events = StreamShape.Events(await response.Content.ReadAsStringAsync(ct));
            var usage = StreamShape.AssertWellFormed(events, plan.MaxTokens, plan.IncludeUsage);
            // The frames really came out of ffmpeg: F sampled frames make F·196 + 1 video rows before merging.
            if (usage is { } u) Assert.Equal(plan.Frames * 196 + 1, u.GetProperty("dycoke").GetProperty("video_tokens_before_ttm").GetInt32());
            return true;
        }
    }

    private async Task RoundAsync(int seed, int count)
    {
        server.Recorder.Clear();
        var plans = Plans(seed, count);
        using (var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) })
        {
            bool[] results = await Task.WhenAll(plans.Select(plan => RunAsync(http, plan)));
            Assert.Equal(plans.Count(p => p.Drop == Drop.None), results.Count(r => r));
        }

        // Every request the server saw has left it (media work included), and none failed on the server's side.
        await server.Recorder.WaitForNoneInFlightAsync(TimeSpan.FromMinutes(1));
        await server.WaitForIdleEngineAsync();
        Assert.Empty(server.Recorder.ServerErrors);
        Assert.All(server.Recorder.Responses.Where(r => !r.Aborted), r => Assert.Equal(200, r.Status));
        Assert.True(server.Recorder.Responses.Count >= plans.Count(p => p.Drop != Drop.BeforeFirstByte)); // all that got an answer were seen
        Assert.Empty(ResourceProbe.MediaToolChildren());
        Assert.Empty(ResourceProbe.Leftovers(server.Staging));
    }

    [Fact]
    public async Task Stream_64RealVideosThirdDisconnect_NoErrorsAndEverythingReturned()
    {
        // A warm-up round over the same paths (file: and data: videos, every way of hanging up) JIT-compiles them and
        // creates every lazily built cache, so the baseline holds only what the server keeps for good.
        await RoundAsync(seed: 1, count: Streams / 8);
        var baseline = ResourceProbe.Sample();

        await RoundAsync(seed: 2, count: Streams);

        var after = ResourceProbe.Sample();
        // Tensors are freed deterministically (Dispose, no finalizer): the native count must match to the byte.
        Assert.Equal(baseline.NativeTensorBytes, after.NativeTensorBytes);
        Assert.True(after.ManagedBytes <= baseline.ManagedBytes + ManagedSlackBytes, $"managed heap grew: {baseline} -> {after}");

        var snapshot = server.Model.Engine.Snapshot();
        Assert.Equal((0, 0, 0), (snapshot.NumUsedBlocks, snapshot.NumRunning, snapshot.NumWaiting));
        using var health = await server.Http.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stream_ClientDropsWhileFfmpegDecodes_NoProcessOrStagedFileLeft(bool dataUrl)
    {
        var ct = TestContext.Current.CancellationToken;
        string url = dataUrl ? server.DataUrl(ClipServerFixture.SlowClip) : server.FileUrl(ClipServerFixture.SlowClip);
        // Two frames, the first and the last: ffmpeg has to decode all 6000 frames to reach the second.
        var plan = new Plan(url, 2, 4, false, Drop.None, 0, 0);
        using var request = Request(plan);
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var send = server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, hangUp.Token);

        await ResourceProbe.EventuallyAsync(() => send.IsCompleted || ResourceProbe.MediaToolChildren().Any(c => c.Name == "ffmpeg"),
            TimeSpan.FromSeconds(30), () => "ffmpeg never started");
        Assert.False(send.IsCompleted, "the request ended before ffmpeg was seen decoding");
        if (dataUrl) Assert.Single(ResourceProbe.Leftovers(server.Staging)); // the payload ffmpeg is reading
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        await server.Recorder.WaitForNoneInFlightAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(ResourceProbe.MediaToolChildren());
        Assert.Empty(ResourceProbe.Leftovers(server.Staging));
        Assert.Empty(server.Recorder.ServerErrors);
        await server.WaitForIdleEngineAsync();

        // The server still serves the same video to a client that waits.
        using var again = Request(plan);
        using var ok = await server.Http.SendAsync(again, HttpCompletionOption.ResponseContentRead, ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        StreamShape.AssertWellFormed(StreamShape.Events(await ok.Content.ReadAsStringAsync(ct)), plan.MaxTokens, includeUsage: false);
        Assert.Empty(ResourceProbe.MediaToolChildren());
        Assert.Empty(ResourceProbe.Leftovers(server.Staging));
    }
}
