// POST /v1/chat/completions (openai-api.md §1–§3): reads and maps the body, submits to the engine, then answers with
// one chat.completion or an SSE stream. Everything that can fail with an HTTP status happens before the first byte;
// a failure after it is one error event and [DONE]. A client disconnect cancels the sequence.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using DyCoke.Engine;
using DyCoke.Server.Contracts;
using DyCoke.Server.Hosting;
using DyCoke.Server.Mapping;
using DyCoke.Server.Metrics;
using DyCoke.Server.Options;
using Microsoft.Extensions.Options;

namespace DyCoke.Server.Endpoints;

internal static class ChatCompletionsEndpoints
{
    public static IEndpointRouteBuilder MapChatCompletions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", CreateAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("Chat completion over text and video_url parts; SSE chunks when stream is true")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletionResponse>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task CreateAsync(HttpContext context, ServedModel model, RequestMapper mapper, ServerMetrics metrics,
        IOptions<ServerSettings> settings, ILogger<RequestMapper> logger)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.ChatCompletionRequest).ConfigureAwait(false);
            var mapped = await mapper.MapAsync(request, context.RequestAborted).ConfigureAwait(false);
            var reader = await RespondAsync(context, model, mapped, metrics, start, settings.Value.RequestTimeoutSeconds).ConfigureAwait(false);
            logger.LogInformation("{RequestId}: {PromptTokens} prompt tokens ({VideoTokens} video), {CompletionTokens} generated, finish {FinishReason}",
                mapped.Engine.RequestId, reader.Finished?.PromptTokens ?? mapped.Engine.PromptIds.Length, reader.Finished?.VideoTokens ?? mapped.VideoTokens,
                reader.CompletionTokens, reader.FinishReason ?? "error");
        }
        catch (ApiException e)
        {
            if (e.Status == StatusCodes.Status503ServiceUnavailable) metrics.RecordRejected();
            await ErrorResults.WriteAsync(context, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            metrics.RecordClientDisconnect();
            logger.LogInformation("Client disconnected from {RequestId}", context.TraceIdentifier);
        }
    }

    private static async Task<CompletionReader> RespondAsync(HttpContext context, ServedModel model, MappedRequest mapped, ServerMetrics metrics,
        long start, double timeoutSeconds)
    {
        // The timeout counts from arrival, so media fetch and decode time count against it.
        using var deadline = new CancellationTokenSource();
        if (timeoutSeconds > 0) deadline.CancelAfter(TimeSpan.FromSeconds(Math.Max(0, timeoutSeconds - Stopwatch.GetElapsedTime(start).TotalSeconds)));
        using var sequence = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        ChannelReader<TokenEvent> events;
        try
        {
            events = Submit(model.Engine, mapped.Engine, sequence.Token);
        }
        catch
        {
            mapped.Dispose(); // the engine owns the frames only once it accepted the request
            throw;
        }
        try
        {
            var reader = new CompletionReader(events, model.Tokenizer.CreateDetokenizer(), new StopStringMatcher(mapped.StopStrings), sequence, metrics, start, deadline.Token);
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            // The counters are updated once the engine is done and before the response's last bytes: a client that
            // scrapes /metrics right after [DONE] (the load generator's per-level delta) sees its request counted.
            Action recordOutcome = () => RecordOutcome(metrics, mapped, reader, start);
            if (mapped.Stream) await StreamAsync(context, new ChunkMapper(mapped.Engine.RequestId, created, model.Name), reader, mapped, recordOutcome).ConfigureAwait(false);
            else await CompleteAsync(context, mapped.Engine.RequestId, created, model.Name, reader, mapped, recordOutcome).ConfigureAwait(false);
            return reader;
        }
        finally
        {
            // Whatever ended the response, the sequence must not outlive it (a no-op once the engine finished it).
            await sequence.CancelAsync().ConfigureAwait(false);
        }
    }

    private static void RecordOutcome(ServerMetrics metrics, MappedRequest mapped, CompletionReader reader, long start)
    {
        if (reader.Finished?.DyCoke is { } stats)
            metrics.RecordDyCoke(stats.VideoTokensBefore + mapped.Engine.Videos.Count, stats.VideoTokensAfter + mapped.Engine.Videos.Count, stats.PrunedSteps);
        if (reader.FinishReason is { } reason)
            metrics.RecordFinished(reason, reader.Finished?.PromptTokens ?? mapped.Engine.PromptIds.Length, reader.CompletionTokens,
                reader.Finished?.VideoTokens ?? mapped.VideoTokens, Stopwatch.GetElapsedTime(start));
    }

    // Counts as the engine ran them: the prompt after TTM, its video rows, and DyCoke's own numbers when it ran.
    private static UsageDto Usage(MappedRequest mapped, CompletionReader reader)
    {
        var finished = reader.Finished;
        int prompt = finished?.PromptTokens ?? mapped.Engine.PromptIds.Length;
        int videoTokens = finished?.VideoTokens ?? mapped.VideoTokens;
        int videos = mapped.Engine.Videos.Count;
        var dycoke = finished?.DyCoke is { } stats
            ? new DyCokeUsageDto(stats.VideoTokensBefore + videos, stats.VideoTokensAfter + videos, stats.MeanKeptVisualTokens, stats.PrunedSteps)
            : null;
        return new UsageDto(prompt, reader.CompletionTokens, prompt + reader.CompletionTokens)
        {
            PromptTokensDetails = videoTokens > 0 ? new PromptTokensDetailsDto(videoTokens) : null,
            Dycoke = dycoke,
        };
    }

    private static ChannelReader<TokenEvent> Submit(IEngine engine, EngineRequest request, CancellationToken token)
    {
        try
        {
            return engine.Submit(request, token);
        }
        catch (EngineOverloadedException e)
        {
            throw new ApiException(503, e.Message, code: "server_overloaded");
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, null);
        }
    }

    private static async Task CompleteAsync(HttpContext context, string id, long created, string modelName, CompletionReader reader, MappedRequest mapped,
        Action recordOutcome)
    {
        var text = new StringBuilder();
        await foreach (var piece in reader.ReadAsync(context.RequestAborted).ConfigureAwait(false)) text.Append(piece);
        recordOutcome();
        if (reader.Error is not null) throw new ApiException(reader.ErrorStatus, reader.Error, code: ErrorCode(reader));
        var choice = new ChatChoice(0, new AssistantMessageDto(text.ToString()), reader.FinishReason!) { StopReason = reader.StopReason };
        var response = new ChatCompletionResponse(id, created, modelName, [choice], Usage(mapped, reader));
        await TypedResults.Json(response, ServerJsonContext.Default.ChatCompletionResponse).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext context, ChunkMapper chunks, CompletionReader reader, MappedRequest mapped, Action recordOutcome)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var ct = context.RequestAborted;
        await WriteAsync(response, ChunkMapper.ToEvent(chunks.Role()), ct).ConfigureAwait(false);
        await foreach (var piece in reader.ReadAsync(ct).ConfigureAwait(false))
            await WriteAsync(response, ChunkMapper.ToEvent(chunks.Content(piece)), ct).ConfigureAwait(false);
        recordOutcome();
        if (reader.Error is not null)
        {
            var error = new ApiException(reader.ErrorStatus, reader.Error, code: ErrorCode(reader)).ToResponse();
            await WriteAsync(response, ChunkMapper.ToEvent(error), ct).ConfigureAwait(false);
        }
        else
        {
            await WriteAsync(response, ChunkMapper.ToEvent(chunks.Final(reader.FinishReason!, reader.StopReason)), ct).ConfigureAwait(false);
            if (mapped.IncludeUsage) await WriteAsync(response, ChunkMapper.ToEvent(chunks.Usage(Usage(mapped, reader))), ct).ConfigureAwait(false);
        }
        await WriteAsync(response, ChunkMapper.Done, ct).ConfigureAwait(false);
    }

    private static string ErrorCode(CompletionReader reader) => reader.ErrorStatus == StatusCodes.Status504GatewayTimeout ? "timeout" : "generation_failed";

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
