// /health and /v1/models on the real server: the demo checkpoint is served and says its answers are random.
using System.Net;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

public sealed class ServiceEndpointsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Health_EngineAlive_200()
    {
        using var response = await server.Http.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Models_DemoCheckpoint_ListedWithRandomAnswersNote()
    {
        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("/v1/models", TestContext.Current.CancellationToken));
        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
        var card = Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("dycoke-demo", card.GetProperty("id").GetString());
        Assert.Equal("model", card.GetProperty("object").GetString());
        Assert.Equal(server.Model.Engine.MaxModelLength, card.GetProperty("max_model_len").GetInt32());
        Assert.Contains("random", card.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_ById_UnknownIs404()
    {
        using var response = await server.Http.GetAsync("/v1/models/other", TestContext.Current.CancellationToken);
        await Wire.AssertErrorAsync(response, HttpStatusCode.NotFound, "model");
    }

    [Fact]
    public async Task Tokenize_PromptThenDetokenize_RoundTrips()
    {
        using var response = await server.Http.PostAsync("/tokenize",
            new StringContent("""{"prompt":"Hello video world"}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var tokens = doc.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(tokens.Length, doc.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(server.Model.Engine.MaxModelLength, doc.RootElement.GetProperty("max_model_len").GetInt32());

        using var back = await server.Http.PostAsync("/detokenize",
            new StringContent(JsonSerializer.Serialize(new { tokens }), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        using var text = JsonDocument.Parse(await back.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Hello video world", text.RootElement.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Tokenize_Messages_CountsWhatTheChatEndpointReports()
    {
        string messages = """[{"role":"user","content":"Count me"}]""";
        using var tokenized = await server.Http.PostAsync("/tokenize",
            new StringContent($$"""{"messages":{{messages}}}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        using var count = JsonDocument.Parse(await tokenized.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        using var chat = await Wire.PostAsync(server.Http, $$"""{"messages":{{messages}},"max_tokens":1}""", TestContext.Current.CancellationToken);
        using var usage = JsonDocument.Parse(await chat.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(usage.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), count.RootElement.GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("/tokenize", "{}", "prompt")]
    [InlineData("/tokenize", "{\"prompt\":\"a\",\"model\":\"other\"}", "model")]
    [InlineData("/detokenize", "{\"tokens\":[-1]}", "tokens[0]")]
    public async Task Tokenize_BadRequests_OpenAiErrors(string path, string body, string param)
    {
        using var response = await server.Http.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        await Wire.AssertErrorAsync(response, param == "model" ? HttpStatusCode.NotFound : HttpStatusCode.BadRequest, param);
    }

    [Fact]
    public async Task Metrics_AfterARequest_PrometheusTextWithCountsAndLatencies()
    {
        using (var chat = await Wire.PostAsync(server.Http, Wire.Body("Measure me", 3, ""","ignore_eos":true"""), TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);

        using var response = await server.Http.GetAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains("# TYPE dycoke:kv_cache_usage_perc gauge", text, StringComparison.Ordinal);
        Assert.Contains("dycoke:request_success_total{model_name=\"dycoke-demo\",finished_reason=\"length\"}", text, StringComparison.Ordinal);
        var ttftCount = text.Split('\n').Single(l => l.StartsWith("dycoke:time_to_first_token_seconds_count ", StringComparison.Ordinal));
        Assert.True(long.Parse(ttftCount.Split(' ')[1]) >= 1);
        var generated = text.Split('\n').Single(l => l.StartsWith("dycoke:generation_tokens_total{", StringComparison.Ordinal));
        Assert.True(long.Parse(generated.Split(' ')[1]) >= 3);
    }

    [Fact]
    public async Task OpenApi_DocumentAndSwaggerUi_DescribeTheRoutes()
    {
        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken));
        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/chat/completions", out var chat));
        Assert.True(chat.GetProperty("post").GetProperty("responses").TryGetProperty("400", out _));
        Assert.True(paths.TryGetProperty("/v1/models", out _));
        using var ui = await server.Http.GetAsync("/swagger/index.html", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }
}
