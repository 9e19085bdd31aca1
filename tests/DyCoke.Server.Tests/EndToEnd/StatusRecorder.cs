// Server-side view of every request in a test server: the status each response ended with (including requests whose
// client already hung up, which the client never sees) and how many are still inside the pipeline.
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>One finished request as the server saw it.</summary>
/// <param name="Path">The request path.</param>
/// <param name="Status">The response status when the pipeline returned (after the exception handler ran).</param>
/// <param name="Aborted">True when the client had disconnected by then.</param>
public sealed record RecordedResponse(string Path, int Status, bool Aborted);

/// <summary>
/// An <see cref="IStartupFilter"/> whose middleware wraps the whole pipeline, so it sees the status the exception
/// handler set and finishes only after the endpoint (media decode included) has fully returned.
/// </summary>
public sealed class StatusRecorder : IStartupFilter
{
    private readonly ConcurrentQueue<RecordedResponse> _responses = new();
    private int _inFlight;

    /// <summary>Requests that entered the pipeline and have not left it.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Every finished request so far.</summary>
    public IReadOnlyCollection<RecordedResponse> Responses => _responses;

    /// <summary>Finished requests answered with a 5xx status.</summary>
    public IReadOnlyList<RecordedResponse> ServerErrors => _responses.Where(r => r.Status >= 500).ToList();

    /// <summary>Forgets what was recorded (between rounds of one test).</summary>
    public void Clear() => _responses.Clear();

    /// <summary>Waits until no request is inside the server; fails the test after <paramref name="timeout"/>.</summary>
    public async Task WaitForNoneInFlightAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (InFlight != 0)
        {
            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Xunit.Assert.Fail($"{InFlight} requests still inside the server after {timeout.TotalSeconds:0} s");
            }
        }
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (HttpContext context, RequestDelegate inner) =>
        {
            Interlocked.Increment(ref _inFlight);
            bool escaped = false;
            try
            {
                await inner(context);
            }
            catch
            {
                escaped = true; // Kestrel answers an exception that leaves the pipeline with 500
                throw;
            }
            finally
            {
                _responses.Enqueue(new RecordedResponse(context.Request.Path.Value ?? "", escaped ? 500 : context.Response.StatusCode,
                    context.RequestAborted.IsCancellationRequested));
                Interlocked.Decrement(ref _inFlight);
            }
        });
        next(app);
    };
}
