// The one error shape every failure uses (openai-api.md §5.1): {"error": {"message", "type", "param", "code"}}.
using System.Text.Json.Serialization;

namespace DyCoke.Server.Contracts;

/// <summary>An OpenAI error body.</summary>
public sealed record ErrorResponse(ErrorDto Error);

/// <summary>The error: param and code are written as null when absent, as OpenAI does.</summary>
public sealed record ErrorDto(string Message, string Type)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }
}
