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
}
