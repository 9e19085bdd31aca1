// Video prompts end to end (frames from SyntheticVideoLoader, everything after it real): the placeholder expands to
// F·196 + 1 prompt rows, usage reports them, streaming and non-streaming agree, and slots are freed.
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

public sealed class VideoChatTests(VideoServerFixture server) : IClassFixture<VideoServerFixture>
{
    private static string Body(int seed, int? numFrames, bool stream, object? dycoke = null)
    {
        var body = new Dictionary<string, object>
        {
            ["messages"] = new object[]
            {
                new Dictionary<string, object>
                {
                    ["role"] = "user",
                    ["content"] = new object[]
                    {
                        new { type = "video_url", video_url = new { url = $"synthetic://{seed}" } },
                        new { type = "text", text = "What happens in the video?" },
                    },
                },
            },
            ["max_tokens"] = 4,
            ["temperature"] = 0,
            ["ignore_eos"] = true,
            ["stream"] = stream,
        };
        if (stream) body["stream_options"] = new { include_usage = true };
        if (numFrames is { } f) body["media_io_kwargs"] = new { video = new { num_frames = f } };
        if (dycoke is not null) body["dycoke"] = dycoke;
        return JsonSerializer.Serialize(body);
    }

    private static async Task<(string Text, JsonElement Usage)> CompleteAsync(HttpClient http, string body)
    {
        using var response = await Wire.PostAsync(http, body, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!,
            doc.RootElement.GetProperty("usage").Clone());
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    public async Task Complete_VideoUrlDyCokeOff_PromptHoldsFramesTimes196PlusOneRows(int? requested, int frames)
    {
        var (_, usage) = await CompleteAsync(server.Http, Body(7, requested, stream: false, new { enabled = false }));
        int videoTokens = frames * 196 + 1;
        Assert.Equal(videoTokens, usage.GetProperty("prompt_tokens_details").GetProperty("video_tokens").GetInt32());
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > videoTokens);
        Assert.Equal(4, usage.GetProperty("completion_tokens").GetInt32());
        Assert.False(usage.TryGetProperty("dycoke", out _));
        await server.WaitForIdleEngineAsync();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Complete_VideoUrlDyCokeOnByDefault_UsageReportsTtmAndPruning(int frames)
    {
        var (_, off) = await CompleteAsync(server.Http, Body(9, frames, stream: false, new { enabled = false }));
        var (_, on) = await CompleteAsync(server.Http, Body(9, frames, stream: false));

        var dycoke = on.GetProperty("dycoke");
        int before = dycoke.GetProperty("video_tokens_before_ttm").GetInt32();
        int after = dycoke.GetProperty("video_tokens_after_ttm").GetInt32();
        Assert.Equal(frames * 196 + 1, before);
        Assert.True(after < before, $"TTM kept {after} of {before}");
        Assert.Equal(after, on.GetProperty("prompt_tokens_details").GetProperty("video_tokens").GetInt32());
        Assert.Equal(off.GetProperty("prompt_tokens").GetInt32() - (before - after), on.GetProperty("prompt_tokens").GetInt32());
        Assert.True(dycoke.GetProperty("decode_steps_pruned").GetInt32() >= 0);
        Assert.True(dycoke.GetProperty("mean_kept_video_tokens").GetDouble() >= 0);
        await server.WaitForIdleEngineAsync();
    }

    [Theory]
    [InlineData("{\"k\": 1.5}", "dycoke.k")]
    [InlineData("{\"p\": -0.1}", "dycoke.p")]
    [InlineData("{\"l\": 1.5}", "dycoke.l")]
    [InlineData("{\"l\": \"2\"}", "dycoke.l")]
    [InlineData("{\"mode\": \"fast\"}", "dycoke.mode")]
    [InlineData("{\"enabled\": 1}", "dycoke.enabled")]
    [InlineData("{\"gamma\": 1}", "dycoke.gamma")]
    [InlineData("[1]", "dycoke")]
    public async Task Complete_BadDyCokeOptions_400NamingTheField(string dycoke, string param)
    {
        string body = $$"""{"messages":[{"role":"user","content":"x"}],"dycoke":{{dycoke}}}""";
        using var response = await Wire.PostAsync(server.Http, body, TestContext.Current.CancellationToken);
        await Wire.AssertErrorAsync(response, HttpStatusCode.BadRequest, param);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Complete_DyCokeLayerOfTheModel_200AndPrunesFromIt(int firstPrunedLayer)
    {
        var (_, usage) = await CompleteAsync(server.Http, Body(5, 1, stream: false, new { l = firstPrunedLayer }));
        // 4 tokens = 3 decode steps; the first step of a sequence always selects, so at least one step pruned.
        Assert.True(usage.GetProperty("dycoke").GetProperty("decode_steps_pruned").GetInt32() >= 1);
        await server.WaitForIdleEngineAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)] // the demo model has 4 layers: L = 4 would score at layer 3 and prune none
    [InlineData(-1)]
    public async Task Complete_DyCokeLayerOutsideTheModel_400NamingTheRange(int firstPrunedLayer)
    {
        string body = """{"messages":[{"role":"user","content":"x"}],"dycoke":{"l":""" + firstPrunedLayer + "}}";
        using var response = await Wire.PostAsync(server.Http, body, TestContext.Current.CancellationToken);
        var error = await Wire.AssertErrorAsync(response, HttpStatusCode.BadRequest, "dycoke.l");
        Assert.Contains("[1, 3]", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Stream_VideoUrl_SameTextAndUsageAsNonStreaming()
    {
        var (text, usage) = await CompleteAsync(server.Http, Body(3, null, stream: false));

        using var response = await Wire.PostAsync(server.Http, Body(3, null, stream: true), TestContext.Current.CancellationToken);
        var events = await Wire.ReadEventsAsync(response);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var streamed = new StringBuilder();
        foreach (var c in chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0))
            if (c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var piece)) streamed.Append(piece.GetString());

        Assert.Equal(text, streamed.ToString());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), chunks[^1].GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("[DONE]", events[^1]);
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task Complete_DifferentVideos_GiveDifferentPromptsSameLength()
    {
        var (_, a) = await CompleteAsync(server.Http, Body(1, 1, stream: false));
        var (_, b) = await CompleteAsync(server.Http, Body(2, 1, stream: false));
        Assert.Equal(a.GetProperty("prompt_tokens").GetInt32(), b.GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Complete_VideoInSystemMessage_400()
    {
        string body = """{"messages":[{"role":"system","content":[{"type":"video_url","video_url":{"url":"synthetic://1"}}]},{"role":"user","content":"hi"}]}""";
        using var response = await Wire.PostAsync(server.Http, body, TestContext.Current.CancellationToken);
        await Wire.AssertErrorAsync(response, HttpStatusCode.BadRequest, "messages[0].content[0]");
    }
}
