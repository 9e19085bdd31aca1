// Raw HTTP helpers for the end-to-end tests: post a JSON body, read an SSE stream into its data payloads, and check
// the OpenAI error shape.
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

internal static class Wire
{
    public static Task<HttpResponseMessage> PostAsync(HttpClient http, string json, CancellationToken ct = default) =>
        http.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), ct);

    /// <summary>Every <c>data:</c> payload of a finished SSE response, [DONE] included.</summary>
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string body = await response.Content.ReadAsStringAsync();
        var events = new List<string>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block, StringComparison.Ordinal);
            events.Add(block["data: ".Length..]);
        }
        return events;
    }

    /// <summary>Asserts the status and {"error": {message, type, param, code}}; returns the error object.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? param = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error").Clone();
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out var p));
        Assert.True(error.TryGetProperty("code", out _));
        if (param is not null) Assert.Equal(param, p.GetString());
        return error;
    }

    public static string Body(string content, int maxTokens = 8, string extra = "") =>
        $$"""{"messages":[{"role":"user","content":{{JsonSerializer.Serialize(content)}}}],"max_tokens":{{maxTokens}}{{extra}}}""";
}
