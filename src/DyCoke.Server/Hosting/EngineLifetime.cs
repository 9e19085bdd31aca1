// Ties the engine to the host's lifetime: on shutdown it drains (health turns 503, new requests get 503, in-flight
// streams get Server:DrainSeconds to finish before they are cut), then the container disposes the model.
using DyCoke.Server.Options;
using Microsoft.Extensions.Options;

namespace DyCoke.Server.Hosting;

/// <summary>Hosted service that drains the engine of the <see cref="ServedModel"/> on shutdown.</summary>
internal sealed class EngineLifetime(ServedModel model, IOptions<ServerSettings> settings, ILogger<EngineLifetime> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var drain = TimeSpan.FromSeconds(Math.Max(0, settings.Value.DrainSeconds));
        var snapshot = model.Engine.Snapshot();
        logger.LogInformation("Draining: {Running} running and {Waiting} waiting requests get up to {Seconds} s", snapshot.NumRunning, snapshot.NumWaiting, drain.TotalSeconds);
        await model.Engine.StopAsync(drain).ConfigureAwait(false);
        logger.LogInformation("Engine stopped");
    }
}
