// The body of POST /v1/chat/completions as it arrives on the wire (openai-api.md §1). Fields whose JSON type varies
// (content, stop, extension objects) stay JsonElement here; RequestMapper checks and converts them.
using System.Text.Json;

namespace DyCoke.Server.Contracts;

/// <summary>An OpenAI chat-completion request, plus the vLLM extensions we accept. Unknown fields are ignored.</summary>
public sealed record ChatCompletionRequest
{
    public string? Model { get; init; }
    public List<ChatMessageDto?>? Messages { get; init; }
    public int? MaxTokens { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public double? MinP { get; init; }
    public long? Seed { get; init; }
    public JsonElement? Stop { get; init; }
    public int? N { get; init; }
    public bool? Stream { get; init; }
    public StreamOptionsDto? StreamOptions { get; init; }
    public double? PresencePenalty { get; init; }
    public double? FrequencyPenalty { get; init; }
    public bool? Logprobs { get; init; }
    public int? TopLogprobs { get; init; }
    public string? User { get; init; }
    public JsonElement? ResponseFormat { get; init; }
    public JsonElement? Tools { get; init; }
    public JsonElement? ToolChoice { get; init; }
    public List<int>? StopTokenIds { get; init; }
    public bool? IgnoreEos { get; init; }
    public JsonElement? MediaIoKwargs { get; init; }
    public JsonElement? Dycoke { get; init; }
}

/// <summary>One message; <see cref="Content"/> is a string or an array of typed parts.</summary>
public sealed record ChatMessageDto
{
    public string? Role { get; init; }
    public JsonElement? Content { get; init; }
    public string? Name { get; init; }
}

/// <summary><c>stream_options</c>.</summary>
public sealed record StreamOptionsDto
{
    public bool? IncludeUsage { get; init; }
}
