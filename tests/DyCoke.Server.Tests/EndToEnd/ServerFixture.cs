// The real server on loopback (Kestrel, port chosen by the OS) serving the demo checkpoint written into a temp cache
// directory, with the official OpenAI client and a raw HttpClient pointed at it. No fake engine.
using System.ClientModel;
using DyCoke.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

public class ServerFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key-123";

    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"dycoke-server-tests-{Guid.NewGuid():N}");
    private WebApplication? _app;

    /// <summary>Extra command-line settings of a derived fixture.</summary>
    protected virtual string[] ExtraArgs => [];

    /// <summary>Removes files a derived fixture created.</summary>
    protected virtual void DeleteFiles()
    {
    }

    /// <summary>Service replacements of a derived fixture.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public ServedModel Model => _app!.Services.GetRequiredService<ServedModel>();

    public async ValueTask InitializeAsync()
    {
        _app = ServerApp.Build([
            "--urls", "http://127.0.0.1:0",
            "--Model:CacheDirectory", _cache,
            "--Model:Device", "cpu",
            "--Scheduler:KvCacheSlots", "16384",
            "--Server:MaxRequestBodyBytes", "1048576",
            "--Server:DrainSeconds", "1",
            .. ExtraArgs], ConfigureServices);
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>An OpenAI ChatClient for the served model (or <paramref name="model"/>).</summary>
    public ChatClient Chat(string? model = null, string apiKey = ApiKey) =>
        new(model ?? Model.Name, new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = new Uri(BaseAddress, "/v1") });

    /// <summary>Waits until the engine holds no sequence and no KV block (cancellation is reaped within a step).</summary>
    public async Task WaitForIdleEngineAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (Model.Engine.Snapshot() is not { NumUsedBlocks: 0, NumRunning: 0, NumWaiting: 0 })
            await Task.Delay(20, cts.Token);
        var snapshot = Model.Engine.Snapshot();
        Assert.Equal(snapshot.NumBlocks, snapshot.NumFreeBlocks);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
        DeleteFiles();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The same server with synthetic frames behind video_url (see <see cref="SyntheticVideoLoader"/>).</summary>
public sealed class VideoServerFixture : ServerFixture
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<DyCoke.Server.Mapping.IVideoLoader>(sp => new SyntheticVideoLoader(sp.GetRequiredService<ServedModel>().ImageSize));
}

/// <summary>The same server with an API key configured.</summary>
public sealed class AuthServerFixture : ServerFixture
{
    protected override string[] ExtraArgs => ["--Server:ApiKeys:0", ApiKey];
}
