// The request deadline (Server:RequestTimeoutSeconds): a plain request past it gets 504, a stream gets an error event
// and [DONE]; either way its KV blocks come back.
using System.Net;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

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
