// Reads a JSON request body into a wire record with source-generated metadata, turning every way it can be wrong
// (content type, malformed JSON, wrong types, depth, size) into an ApiException with OpenAI's shape.
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DyCoke.Server.Mapping;

namespace DyCoke.Server.Endpoints;

internal static class RequestBody
{
    /// <summary>Deserializes the body as <typeparamref name="T"/>.</summary>
    /// <exception cref="ApiException">400 for a wrong content type or invalid JSON (param = the dotted body path),
    /// 413 when the body exceeds the server's limit.</exception>
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type) where T : class
    {
        if (!(context.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest("Content-Type must be application/json.", null);
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false)
                ?? throw ApiException.BadRequest("The request body must be a JSON object.", null);
        }
        catch (JsonException e)
        {
            string? param = e.Path is { Length: > 2 } path ? "body." + path[2..] : null;
            string message = param is null
                ? $"The request body is not valid JSON: {Cut(e.Message)}"
                : $"The value of {param} has the wrong type or is out of range.";
            throw ApiException.BadRequest(message, param, "invalid_json");
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, e.StatusCode == 413 ? "The request body is too large." : "The request body could not be read.",
                code: e.StatusCode == 413 ? "request_too_large" : null);
        }
    }

    private static string Cut(string message) => message.Length <= 200 ? message : message[..200] + "...";
}
