// API keys on the real server: guarded routes need the bearer key (401 in the OpenAI shape otherwise); health is public.
using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using OpenAI.Chat;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

public sealed class AuthTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    public async Task Models_WithoutTheKey_401(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var error = await Wire.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Models_WithTheKey_200AndHealthIsPublic()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerFixture.ApiKey);
        using var response = await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var health = await server.Http.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task OpenAiClient_KeyDecidesAccess()
    {
        var prompt = new ChatMessage[] { new UserChatMessage("Hi") };
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 2 };
        ChatCompletion ok = await server.Chat().CompleteChatAsync(prompt, options, TestContext.Current.CancellationToken);
        Assert.NotNull(ok.Content);
        var e = await Assert.ThrowsAsync<ClientResultException>(() => server.Chat(apiKey: "nope").CompleteChatAsync(prompt, options, TestContext.Current.CancellationToken));
        Assert.Equal(401, e.Status);
    }
}
