// Writes OpenAI-shaped errors ({"error": {...}}, never ProblemDetails) for handlers, middleware, unknown routes and
// unhandled exceptions alike.
using System.Text.Json;
using DyCoke.Server.Contracts;
using DyCoke.Server.Mapping;
using Microsoft.AspNetCore.Diagnostics;

namespace DyCoke.Server.Endpoints;

internal static class ErrorResults
{
    /// <summary>Writes <paramref name="error"/> with its status (and Retry-After for 503).</summary>
    public static async Task WriteAsync(HttpContext context, ApiException error)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = error.Status;
        if (error.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, error.ToResponse(), ServerJsonContext.Default.ErrorResponse, context.RequestAborted)
            .ConfigureAwait(false);
    }

    /// <summary>Maps unknown routes and unhandled exceptions onto OpenAI errors.</summary>
    public static WebApplication UseOpenAiErrors(this WebApplication app)
    {
        app.UseExceptionHandler(branch => branch.Run(context =>
        {
            var failure = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            return failure is BadHttpRequestException bad
                ? WriteAsync(context, new ApiException(bad.StatusCode, bad.StatusCode == 413 ? "The request body is too large." : "The request could not be read."))
                : WriteAsync(context, new ApiException(500, "The server had an error while processing your request.", code: "internal_error"));
        }));
        return app;
    }

    /// <summary>404 for every route no endpoint claims.</summary>
    public static void MapNotFound(this IEndpointRouteBuilder app) =>
        app.MapFallback((HttpContext context) =>
            WriteAsync(context, new ApiException(404, $"Unknown route {context.Request.Method} {context.Request.Path}.", code: "not_found")));
}
