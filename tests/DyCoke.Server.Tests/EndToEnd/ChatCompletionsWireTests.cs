// End to end over raw HTTP: the exact SSE chunk sequence, OpenAI-shaped errors with the right status and param for
// bad bodies, and KV slots freed after a client disconnects mid-stream.
using System.Net;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

public sealed class ChatCompletionsWireTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Stream_WithIncludeUsage_RoleDeltasFinalUsageThenDone()
    {
        using var response = await Wire.PostAsync(server.Http,
            Wire.Body("Describe it.", 5, ""","stream":true,"stream_options":{"include_usage":true},"temperature":0,"ignore_eos":true"""),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var events = await Wire.ReadEventsAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        var role = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", role.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, role.GetProperty("finish_reason").ValueKind);
        var final = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("length", final.GetProperty("finish_reason").GetString());
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.All(chunks[..^1], c => Assert.False(c.TryGetProperty("usage", out _)));
        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task Complete_NonStreaming_HasTheChatCompletionShape()
    {
        using var response = await Wire.PostAsync(server.Http, Wire.Body("Hi", 3, ""","model":"dycoke-demo","temperature":0"""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = doc.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.True(root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
    }

    [Theory]
    [InlineData("{\"messages\": [", null)]
    [InlineData("[1, 2]", null)]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": \"hot\"}", "body.temperature")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 1e30}", "body.max_tokens")]
    [InlineData("{\"messages\": \"hello\"}", "body.messages")]
    [InlineData("{\"messages\": []}", "messages")]
    [InlineData("{}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", "messages[0].role")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": 42}]}", "messages[0].content")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"audio\"}]}]}", "messages[0].content[0].type")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}", "n")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": 3}", "temperature")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_p\": 0}", "top_p")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 100000}", "max_tokens")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stream_options\": {\"include_usage\": true}}", "stream_options")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stop\": 5}", "stop")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logprobs\": true}", "logprobs")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://x/y.png\"}}]}]}", "messages[0].content[0]")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"video_url\", \"video_url\": {}}]}]}", "messages[0].content[0].video_url.url")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"media_io_kwargs\": {\"video\": {\"num_frames\": 100000}}}", "media_io_kwargs.video.num_frames")]
    public async Task Post_InvalidBody_400WithOpenAiErrorAndParam(string body, string? param)
    {
        using var response = await Wire.PostAsync(server.Http, body, TestContext.Current.CancellationToken);
        var error = await Wire.AssertErrorAsync(response, HttpStatusCode.BadRequest, param);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Post_UnknownModel_404ModelNotFound()
    {
        using var response = await Wire.PostAsync(server.Http, Wire.Body("x", 2, ""","model":"llama-9000" """), TestContext.Current.CancellationToken);
        var error = await Wire.AssertErrorAsync(response, HttpStatusCode.NotFound, "model");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Post_BodyAboveTheLimit_413()
    {
        // The server answers from the Content-Length, before the body, and then closes the connection rather than
        // read megabytes it will refuse. A client that keeps writing meanwhile may see that close (a broken pipe)
        // before it reads the 413, which is what made this test flaky; with Expect: 100-continue, as clients
        // uploading large bodies send it, the answer comes before any of the body is sent.
        string huge = Wire.Body(new string('a', 2 << 20));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(huge, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var error = await Wire.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Get_UnknownRoute_404InOpenAiShape()
    {
        using var response = await server.Http.GetAsync("/v1/nothing-here", TestContext.Current.CancellationToken);
        await Wire.AssertErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Stream_ClientDisconnects_SlotsReturnToZero()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(Wire.Body("Talk forever.", 5000, ""","stream":true,"ignore_eos":true"""), System.Text.Encoding.UTF8, "application/json"),
        };
        using (var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            using var reader = new StreamReader(stream);
            int events = 0;
            while (events < 3 && await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) events++;
            Assert.Equal(3, events);
            Assert.True(server.Model.Engine.Snapshot().NumUsedBlocks > 0);
        } // disposing the response aborts the connection

        await server.WaitForIdleEngineAsync();
    }

    [Fact]
    public async Task ManyConcurrentRequests_AllSucceedAndSlotsReturnToZero()
    {
        var tasks = Enumerable.Range(0, 12).Select(async i =>
        {
            bool stream = i % 2 == 0;
            using var response = await Wire.PostAsync(server.Http, Wire.Body($"Question {i}?", 4 + i % 3, stream ? ""","stream":true""" : ""),
                TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (stream) Assert.Equal("[DONE]", (await Wire.ReadEventsAsync(response))[^1]);
        });
        await Task.WhenAll(tasks);
        await server.WaitForIdleEngineAsync();
    }
}
