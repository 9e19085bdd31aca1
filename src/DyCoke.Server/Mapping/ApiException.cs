// A request failure that becomes an OpenAI-shaped error response with a chosen HTTP status (openai-api.md §5).
using DyCoke.Server.Contracts;

namespace DyCoke.Server.Mapping;

/// <summary>Thrown by mapping and endpoint code; the endpoint turns it into <see cref="ErrorResponse"/>.</summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null) : Exception(message)
{
    public int Status { get; } = status;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    /// <summary>OpenAI's error type for the status when none is given.</summary>
    public string Type { get; } = type ?? TypeFor(status);

    public ErrorResponse ToResponse() => new(new ErrorDto(Message, Type) { Param = Param, Code = Code });

    public static ApiException BadRequest(string message, string? param, string code = "invalid_request") => new(400, message, param, code);

    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        404 => "invalid_request_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
