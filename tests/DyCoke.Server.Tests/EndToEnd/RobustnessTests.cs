// The server under abuse: many concurrent video streams with a third of the clients disconnecting at random points,
// a few hundred malformed or hostile bodies, and a full queue answered with 503 + Retry-After. No 5xx, every
// stream well-formed, KV slots back to zero, health still 200.
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>A server whose engine takes one request at a time.</summary>
public sealed class SmallQueueServerFixture : ServerFixture
{
    protected override string[] ExtraArgs => ["--Scheduler:MaxQueuedRequests", "1"];
}

public sealed class RobustnessTests(VideoServerFixture server) : IClassFixture<VideoServerFixture>
{
    private static string VideoBody(int seed, int maxTokens) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["messages"] = new object[]
        {
            new { role = "user", content = new object[] { new { type = "video_url", video_url = new { url = $"synthetic://{seed}" } }, new { type = "text", text = "Describe." } } },
        },
        ["max_tokens"] = maxTokens,
        ["stream"] = true,
        ["ignore_eos"] = true,
        ["media_io_kwargs"] = new { video = new { num_frames = 1 + seed % 3 } },
    });

    [Fact]
    public async Task ConcurrentVideoStreams_ThirdDisconnect_NoServerErrorsAndSlotsFreed()
    {
        var rng = new Random(17);
        var plans = Enumerable.Range(0, 24).Select(i => (Seed: i, Disconnect: i % 3 == 0, After: rng.Next(1, 6))).ToList();
        var tasks = plans.Select(async plan =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent(VideoBody(plan.Seed, plan.Disconnect ? 500 : 6), Encoding.UTF8, "application/json"),
            };
            using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            using var reader = new StreamReader(stream);
            var data = new List<string>();
            while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                if (line.Length == 0) continue;
                Assert.StartsWith("data: ", line, StringComparison.Ordinal);
                data.Add(line["data: ".Length..]);
                if (plan.Disconnect && data.Count >= plan.After) return; // disposing the response drops the connection
            }
            Assert.Equal("[DONE]", data[^1]);
            Assert.All(data[..^1], d => Assert.Equal("chat.completion.chunk", JsonDocument.Parse(d).RootElement.GetProperty("object").GetString()));
        });

        await Task.WhenAll(tasks);

        await server.WaitForIdleEngineAsync();
        using var health = await server.Http.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task HostileBodies_AllAnswered4xxAndTheServerStaysHealthy()
    {
        var rng = new Random(99);
        string valid = """{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}""";
        var bodies = new List<string>
        {
            "", "null", "true", "\"str\"", "[]", "{", "}", "{\"messages\":null}", "{\"messages\":[null]}",
            new string('[', 5000) + new string(']', 5000),
            "{\"messages\":" + new string('[', 200) + new string(']', 200) + "}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 300_000) + "\"}],\"max_tokens\":1,\"model\":\"nope\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":99999999999999999999}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":1e400}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":NaN}",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":\"javascript:alert(1)\"}}]}]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"<video>\"}]}",
        };
        for (int i = 0; i < 300; i++)
        {
            // Random byte-level damage to a valid body: truncation, flipped characters, inserted junk.
            var chars = valid.ToCharArray().ToList();
            int edits = rng.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(chars.Count);
                switch (rng.Next(3))
                {
                    case 0: chars.RemoveRange(at, chars.Count - at); break;
                    case 1: chars[at] = (char)rng.Next(32, 127); break;
                    default: chars.Insert(at, "{}[],:\"\\0-e9"[rng.Next(12)]); break;
                }
                if (chars.Count == 0) break;
            }
            bodies.Add(new string([.. chars]));
        }

        foreach (var body in bodies)
        {
            using var response = await Wire.PostAsync(server.Http, body, TestContext.Current.CancellationToken);
            int status = (int)response.StatusCode;
            // A damaged body can still be valid JSON that asks for something; only server errors are failures.
            Assert.True(status < 500, $"status {status} for body {body[..Math.Min(body.Length, 120)]}");
            if (status >= 400)
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                Assert.True(doc.RootElement.GetProperty("error").TryGetProperty("message", out _));
            }
        }

        await server.WaitForIdleEngineAsync();
        using var health = await server.Http.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}

public sealed class OverloadTests(SmallQueueServerFixture server) : IClassFixture<SmallQueueServerFixture>
{
    [Fact]
    public async Task Post_QueueFull_503WithRetryAfter()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(Wire.Body("Long answer", 5000, ""","stream":true,"ignore_eos":true"""), Encoding.UTF8, "application/json"),
        };
        using (var busy = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, busy.StatusCode);

            using var refused = await Wire.PostAsync(server.Http, Wire.Body("Me too", 2), TestContext.Current.CancellationToken);

            var error = await Wire.AssertErrorAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("server_overloaded", error.GetProperty("code").GetString());
            Assert.True(refused.Headers.RetryAfter is not null);
        }
        await server.WaitForIdleEngineAsync();
        using var ok = await Wire.PostAsync(server.Http, Wire.Body("Now", 2), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}

/// <summary>A server with a one-second request timeout.</summary>
public sealed class TimeoutServerFixture : ServerFixture
{
    protected override string[] ExtraArgs => ["--Server:RequestTimeoutSeconds", "1"];
}

public sealed class TimeoutTests(TimeoutServerFixture server) : IClassFixture<TimeoutServerFixture>
{
    [Fact]
    public async Task Complete_PastTheTimeout_504AndSlotsFreed()
    {
        using var response = await Wire.PostAsync(server.Http, Wire.Body("Never stop", 15000, ""","ignore_eos":true"""), TestContext.Current.CancellationToken);
        var error = await Wire.AssertErrorAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.Equal("timeout", error.GetProperty("code").GetString());
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task Stream_PastTheTimeout_ErrorEventThenDone()
    {
        using var response = await Wire.PostAsync(server.Http, Wire.Body("Never stop", 15000, ""","ignore_eos":true,"stream":true"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await Wire.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        using var error = JsonDocument.Parse(events[^2]);
        Assert.Equal("timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        await server.WaitForIdleEngineAsync();
    }
}
