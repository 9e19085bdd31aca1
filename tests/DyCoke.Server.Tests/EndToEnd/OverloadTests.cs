// A full engine queue is answered at once with an OpenAI-shaped 503 and Retry-After, and the server serves again as
// soon as the queue drains.
using System.Net;
using System.Text;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>A server whose engine takes one request at a time.</summary>
public sealed class SmallQueueServerFixture : ServerFixture
{
    protected override string[] ExtraArgs => ["--Scheduler:MaxQueuedRequests", "1"];
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
