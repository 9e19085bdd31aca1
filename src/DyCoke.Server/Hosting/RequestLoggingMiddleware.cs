// One structured log line per HTTP request (Serilog.AspNetCore's request logging cannot be restored here): method,
// path, status, elapsed time and the request id. Never logs bodies or headers, so no key or prompt leaks.
using System.Diagnostics;

namespace DyCoke.Server.Hosting;

/// <summary>Logs each request when it completes.</summary>
internal sealed class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            logger.LogInformation("HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:F1} ms ({RequestId}{Aborted})",
                context.Request.Method, context.Request.Path.Value, context.Response.StatusCode, elapsed.TotalMilliseconds,
                context.TraceIdentifier, context.RequestAborted.IsCancellationRequested ? ", client disconnected" : "");
        }
    }
}
