// GET /health (and /ping): 200 while the engine's step thread is alive and accepting work, 503 when it died or the
// server is draining (openai-api.md §6).
using DyCoke.Server.Hosting;

namespace DyCoke.Server.Endpoints;

internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Health);
        app.MapGet("/ping", Health);
        return app;
    }

    private static IResult Health(ServedModel model)
    {
        var snapshot = model.Engine.Snapshot();
        return snapshot.IsAlive && !snapshot.IsDraining ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
    }
}
