// Composition of the serve verb: configuration (appsettings.json, DYCOKE__ environment, command line), Serilog,
// the served model and engine, Kestrel limits, middleware and endpoints. Tests build the same app on loopback.
using DyCoke.Compression;
using DyCoke.Media;
using DyCoke.Server.Contracts;
using DyCoke.Server.Endpoints;
using DyCoke.Server.Mapping;
using DyCoke.Server.Metrics;
using DyCoke.Server.Options;
using Serilog;

namespace DyCoke.Server.Hosting;

/// <summary>Builds the OpenAI-compatible web application.</summary>
public static class ServerApp
{
    /// <summary>Creates the app for <paramref name="args"/> (already normalised by <see cref="Cli.ServeArguments"/>);
    /// loads the model before returning. <paramref name="configureServices"/> runs last, so it can replace a service
    /// (tests swap the video loader for one that needs no network).</summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("DYCOKE__").AddCommandLine(args);
        var serilog = new LoggerConfiguration().ReadFrom.Configuration(builder.Configuration).CreateLogger();
        builder.Logging.ClearProviders().AddSerilog(serilog, dispose: true);

        var config = builder.Configuration;
        var model = config.GetSection(ModelSettings.Section).Get<ModelSettings>() ?? new ModelSettings();
        var scheduler = config.GetSection(SchedulerSettings.Section).Get<SchedulerSettings>() ?? new SchedulerSettings();
        var media = config.GetSection(MediaSettings.Section).Get<MediaSettings>() ?? new MediaSettings();
        var mediaOptions = config.GetSection(MediaSettings.Section).Get<MediaOptions>() ?? new MediaOptions();
        mediaOptions.Validate();
        var server = config.GetSection(ServerSettings.Section).Get<ServerSettings>() ?? new ServerSettings();
        var dycoke = config.GetSection("DyCoke").Get<DyCokeOptions>() ?? DyCokeOptions.Default;
        dycoke.Validate();

        builder.Services.Configure<ServerSettings>(config.GetSection(ServerSettings.Section));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default);
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower; // the OpenAPI schemas match the wire
        });
        builder.Services.AddOpenApi();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes);
        builder.Services.AddSingleton(media);
        builder.Services.AddSingleton(dycoke);
        builder.Services.AddSingleton(mediaOptions);
        builder.Services.AddSingleton<IVideoLoader, MediaVideoLoader>();
        builder.Services.AddSingleton<RequestMapper>();
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddHostedService<EngineLifetime>();
        builder.Services.AddSingleton(services =>
            ModelLoader.Load(model, scheduler, dycoke, services.GetRequiredService<ILoggerFactory>().CreateLogger("DyCoke.Server.ModelLoader")));
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.Services.GetRequiredService<ServedModel>(); // load now, so the server listens only once it can answer
        app.UseOpenAiErrors();
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.MapOpenApi();
        app.UseSwaggerUI(o => o.SwaggerEndpoint("/openapi/v1.json", "DyCoke.Server"));
        app.MapHealth();
        app.MapModels();
        app.MapChatCompletions();
        app.MapTokenize();
        app.MapMetrics();
        app.MapNotFound();
        return app;
    }
}
