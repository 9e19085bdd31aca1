// The non-streaming answer, object "chat.completion" (openai-api.md §2), and the usage block shared with streaming.
using System.Text.Json.Serialization;

namespace DyCoke.Server.Contracts;

/// <summary>A whole chat completion.</summary>
public sealed record ChatCompletionResponse(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, UsageDto Usage)
{
    public string Object => "chat.completion";
}

/// <summary>One choice of a completion.</summary>
public sealed record ChatChoice(int Index, AssistantMessageDto Message, string FinishReason)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;

    /// <summary>vLLM's extension: the stop string or token id that fired, else null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? StopReason { get; init; }
}

/// <summary>The assistant's message.</summary>
public sealed record AssistantMessageDto(string Content)
{
    public string Role => "assistant";

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Refusal => null;
}

/// <summary>Token counts; video rows count inside prompt_tokens.</summary>
public sealed record UsageDto(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    public PromptTokensDetailsDto? PromptTokensDetails { get; init; }

    public DyCokeUsageDto? Dycoke { get; init; }
}

/// <summary>What the prompt held: video tokens as run (after TTM, each video's newline included).</summary>
public sealed record PromptTokensDetailsDto(int VideoTokens);

/// <summary>usage.dycoke: what DyCoke did, summed over the prompt's videos, newline tokens included.</summary>
public sealed record DyCokeUsageDto(int VideoTokensBeforeTtm, int VideoTokensAfterTtm, double MeanKeptVideoTokens, int DecodeStepsPruned);
