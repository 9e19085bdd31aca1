// The shape every streamed chat completion must have (openai-api.md §2-§3): SSE framing, the role chunk first, content
// deltas, exactly one final chunk with finish_reason, the usage chunk only when asked for, [DONE] last, and the same
// id/created/model on every chunk. Checks a whole finished stream.
using System.Text.Json;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

internal static class StreamShape
{
    /// <summary>The <c>data:</c> payloads of an SSE body, in order; fails on any other line or unterminated event.</summary>
    public static List<string> Events(string body)
    {
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        var events = new List<string>();
        foreach (string block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', block);
            events.Add(block["data: ".Length..]);
        }
        return events;
    }

    /// <summary>
    /// Asserts the full §3 shape of <paramref name="events"/> for a request with <c>ignore_eos</c> and
    /// <paramref name="maxTokens"/>, and returns the usage object when <paramref name="includeUsage"/> was set.
    /// </summary>
    public static JsonElement? AssertWellFormed(IReadOnlyList<string> events, int maxTokens, bool includeUsage)
    {
        Assert.True(events.Count >= 3, $"only {events.Count} events");
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(1, events.Count(e => e == "[DONE]"));

        var chunks = events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToList();
        var first = chunks[0];
        string id = first.GetProperty("id").GetString()!;
        Assert.StartsWith("chatcmpl-", id, StringComparison.Ordinal);
        long created = first.GetProperty("created").GetInt64();
        string model = first.GetProperty("model").GetString()!;
        foreach (var chunk in chunks)
        {
            Assert.False(chunk.TryGetProperty("error", out _), $"error event: {chunk}");
            Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString());
            Assert.Equal(id, chunk.GetProperty("id").GetString());
            Assert.Equal(created, chunk.GetProperty("created").GetInt64());
            Assert.Equal(model, chunk.GetProperty("model").GetString());
        }

        var role = Choice(first);
        Assert.Equal("assistant", role.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, role.GetProperty("finish_reason").ValueKind);

        // Role chunk, then content deltas, then the one chunk with finish_reason, then (only if asked) the usage chunk.
        int final = chunks.FindIndex(c => c.GetProperty("choices").GetArrayLength() == 1
            && Choice(c).GetProperty("finish_reason").ValueKind != JsonValueKind.Null);
        Assert.True(final > 0, "no chunk carries a finish_reason");
        Assert.Equal("length", Choice(chunks[final]).GetProperty("finish_reason").GetString());
        for (int i = 1; i < final; i++)
        {
            var choice = Choice(chunks[i]);
            Assert.Equal(JsonValueKind.Null, choice.GetProperty("finish_reason").ValueKind);
            Assert.Equal(JsonValueKind.String, choice.GetProperty("delta").GetProperty("content").ValueKind);
            Assert.False(chunks[i].TryGetProperty("usage", out var u) && u.ValueKind != JsonValueKind.Null, "usage before the final chunk");
        }
        Assert.True(final - 1 <= maxTokens, $"{final - 1} content deltas for max_tokens {maxTokens}");

        int after = chunks.Count - final - 1;
        if (!includeUsage)
        {
            Assert.Equal(0, after);
            return null;
        }
        Assert.Equal(1, after);
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        var usage = usageChunk.GetProperty("usage");
        int prompt = usage.GetProperty("prompt_tokens").GetInt32();
        int completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.Equal(maxTokens, completion); // ignore_eos: generation runs to max_tokens
        Assert.Equal(prompt + completion, usage.GetProperty("total_tokens").GetInt32());
        return usage;
    }

    private static JsonElement Choice(JsonElement chunk)
    {
        var choices = chunk.GetProperty("choices");
        Assert.Equal(1, choices.GetArrayLength());
        var choice = choices[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        return choice;
    }
}
