// GET /metrics: Prometheus text, public like /health (openai-api.md §6).
using DyCoke.Server.Metrics;

namespace DyCoke.Server.Endpoints;

internal static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (ServerMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        return app;
    }
}
