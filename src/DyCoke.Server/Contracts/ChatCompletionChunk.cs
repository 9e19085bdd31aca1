// One streamed event, object "chat.completion.chunk" (openai-api.md §3): the role chunk, content deltas, the final
// chunk with finish_reason, and the optional usage chunk with no choices.
using System.Text.Json.Serialization;

namespace DyCoke.Server.Contracts;

/// <summary>A streaming chunk; <see cref="Usage"/> is omitted unless this is the usage chunk.</summary>
public sealed record ChatCompletionChunk(string Id, long Created, string Model, IReadOnlyList<ChunkChoice> Choices)
{
    public string Object => "chat.completion.chunk";

    public UsageDto? Usage { get; init; }
}

/// <summary>One choice's delta; finish_reason is null until the final chunk.</summary>
public sealed record ChunkChoice(int Index, DeltaDto Delta)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public object? StopReason { get; init; }
}

/// <summary>The role (first chunk) and/or a piece of content.</summary>
public sealed record DeltaDto(string? Role, string? Content);
