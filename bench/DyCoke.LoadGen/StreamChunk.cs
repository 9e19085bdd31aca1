// What one SSE data payload of a chat-completion stream says (openai-api.md §3): [DONE], an error event, content, a
// finish reason and/or the usage block, read with JsonDocument because servers differ in which keys they omit.
using System.Text.Json;

namespace DyCoke.LoadGen;

/// <summary>Token counts from the usage chunk, with the prompt details and DyCoke block when the server sends them.</summary>
internal sealed record UsageInfo(int PromptTokens, int CompletionTokens)
{
    /// <summary>usage.prompt_tokens_details.video_tokens.</summary>
    public int? VideoTokens { get; init; }

    /// <summary>usage.dycoke.video_tokens_before_ttm.</summary>
    public int? DyCokeVideoTokensBefore { get; init; }

    /// <summary>usage.dycoke.video_tokens_after_ttm.</summary>
    public int? DyCokeVideoTokensAfter { get; init; }

    /// <summary>usage.dycoke.decode_steps_pruned.</summary>
    public int? DyCokeDecodeStepsPruned { get; init; }
}

/// <summary>One parsed event.</summary>
internal sealed record StreamChunk
{
    public static readonly StreamChunk Done = new() { IsDone = true };

    /// <summary>The <c>data: [DONE]</c> terminator.</summary>
    public bool IsDone { get; init; }

    /// <summary>Characters of delta content in this chunk (0 for the role chunk and the final one).</summary>
    public int ContentLength { get; init; }

    public string? FinishReason { get; init; }

    public UsageInfo? Usage { get; init; }

    /// <summary>The message of an in-stream error event.</summary>
    public string? Error { get; init; }

    /// <summary>Reads one data payload.</summary>
    /// <exception cref="FormatException">The payload is neither [DONE] nor a JSON object.</exception>
    public static StreamChunk Parse(string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Trim() == "[DONE]") return Done;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            throw new FormatException($"stream event is not JSON: {Clip(data)}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"stream event is not a JSON object: {Clip(data)}");
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
                return new StreamChunk { Error = ErrorMessage(error) };

            int content = 0;
            string? finish = null;
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object &&
                        delta.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String)
                        content += text.GetString()!.Length;
                    if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
                        finish = reason.GetString();
                }
            }
            var usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? ParseUsage(u) : null;
            return new StreamChunk { ContentLength = content, FinishReason = finish, Usage = usage };
        }
    }

    /// <summary>The error text of an OpenAI-shaped <c>{"error": {...}}</c> body (or vLLM's bare string form).</summary>
    public static string ErrorMessage(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : Clip(error.GetRawText());

    private static UsageInfo ParseUsage(JsonElement usage)
    {
        var info = new UsageInfo(Int(usage, "prompt_tokens") ?? 0, Int(usage, "completion_tokens") ?? 0);
        if (usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object)
            info = info with { VideoTokens = Int(details, "video_tokens") };
        if (usage.TryGetProperty("dycoke", out var dycoke) && dycoke.ValueKind == JsonValueKind.Object)
        {
            info = info with
            {
                DyCokeVideoTokensBefore = Int(dycoke, "video_tokens_before_ttm"),
                DyCokeVideoTokensAfter = Int(dycoke, "video_tokens_after_ttm"),
                DyCokeDecodeStepsPruned = Int(dycoke, "decode_steps_pruned"),
            };
        }
        return info;
    }

    private static int? Int(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
