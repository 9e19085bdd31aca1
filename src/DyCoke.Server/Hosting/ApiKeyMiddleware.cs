// Bearer-key authentication (openai-api.md §6 "Auth"): when keys are configured every route except health, metrics and the API docs is
// guarded; keys are compared as SHA-256 digests in constant time, so timing reveals nothing about a key.
using System.Security.Cryptography;
using System.Text;
using DyCoke.Server.Endpoints;
using DyCoke.Server.Mapping;
using DyCoke.Server.Options;
using Microsoft.Extensions.Options;

namespace DyCoke.Server.Hosting;

/// <summary>Rejects requests without a configured bearer key with 401 in the OpenAI error shape.</summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ServerSettings> settings)
{
    private readonly byte[][] _digests = settings.Value.ApiKeys.Where(k => k.Length > 0).Select(Digest).ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        if (_digests.Length == 0 || IsPublic(context.Request) || IsAuthorized(context.Request))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        await ErrorResults.WriteAsync(context, new ApiException(401, "Incorrect or missing API key: send 'Authorization: Bearer <key>'.", null, "invalid_api_key"))
            .ConfigureAwait(false);
    }

    private static bool IsPublic(HttpRequest request) =>
        HttpMethods.IsOptions(request.Method) || request.Path.StartsWithSegments("/health") || request.Path.StartsWithSegments("/ping")
        || request.Path.StartsWithSegments("/metrics") || request.Path.StartsWithSegments("/openapi") || request.Path.StartsWithSegments("/swagger");

    private bool IsAuthorized(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var digest = Digest(header["Bearer ".Length..].Trim());
        bool match = false;
        // Every key is compared, so the time does not depend on which one matched.
        foreach (var key in _digests) match |= CryptographicOperations.FixedTimeEquals(digest, key);
        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
