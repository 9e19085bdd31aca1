// Builds the chat.completion.chunk events of one streamed response (openai-api.md §3) and their SSE framing:
// role chunk, content deltas, the final chunk with finish_reason, the optional usage chunk, then [DONE].
using System.Text.Json;
using DyCoke.Server.Contracts;

namespace DyCoke.Server.Mapping;

/// <summary>Chunks sharing one id, created time and model name.</summary>
public sealed class ChunkMapper(string id, long created, string model)
{
    /// <summary>The SSE terminator line.</summary>
    public const string Done = "data: [DONE]\n\n";

    public ChatCompletionChunk Role() => Chunk(new ChunkChoice(0, new DeltaDto("assistant", "")));

    public ChatCompletionChunk Content(string text) => Chunk(new ChunkChoice(0, new DeltaDto(null, text)));

    public ChatCompletionChunk Final(string finishReason, object? stopReason) =>
        Chunk(new ChunkChoice(0, new DeltaDto(null, null)) { FinishReason = finishReason, StopReason = stopReason });

    public ChatCompletionChunk Usage(UsageDto usage) => new(id, created, model, []) { Usage = usage };

    /// <summary>One event: <c>data: {json}</c> and a blank line.</summary>
    public static string ToEvent(ChatCompletionChunk chunk) =>
        $"data: {JsonSerializer.Serialize(chunk, ServerJsonContext.Default.ChatCompletionChunk)}\n\n";

    /// <summary>An error event for a failure after the stream began.</summary>
    public static string ToEvent(ErrorResponse error) =>
        $"data: {JsonSerializer.Serialize(error, ServerJsonContext.Default.ErrorResponse)}\n\n";

    private ChatCompletionChunk Chunk(ChunkChoice choice) => new(id, created, model, [choice]);
}
