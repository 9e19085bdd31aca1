// vLLM-compatible POST /tokenize and POST /detokenize: the served model's tokenizer and chat template, so clients can
// count prompt tokens before they send a request. Media are not fetched here; video parts are refused.
using DyCoke.Model.Text;
using DyCoke.Server.Contracts;
using DyCoke.Server.Hosting;
using DyCoke.Server.Mapping;

namespace DyCoke.Server.Endpoints;

internal static class TokenizeEndpoints
{
    public static IEndpointRouteBuilder MapTokenize(this IEndpointRouteBuilder app)
    {
        app.MapPost("/tokenize", TokenizeAsync)
            .Accepts<TokenizeRequest>("application/json").Produces<TokenizeResponse>().Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
        app.MapPost("/detokenize", DetokenizeAsync)
            .Accepts<DetokenizeRequest>("application/json").Produces<DetokenizeResponse>().Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task TokenizeAsync(HttpContext context, ServedModel model, RequestMapper mapper)
    {
        try
        {
            var request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.TokenizeRequest).ConfigureAwait(false);
            mapper.CheckModel(request.Model);
            int[] ids;
            if (request.Prompt is not null == request.Messages is not null)
                throw ApiException.BadRequest("Give exactly one of 'prompt' or 'messages'.", request.Prompt is null ? "prompt" : "messages");
            if (request.Prompt is not null)
            {
                ids = model.Tokenizer.Encode(request.Prompt);
            }
            else
            {
                var (messages, videos) = mapper.Messages(request.Messages, null);
                if (videos.Count > 0) throw ApiException.BadRequest("/tokenize does not fetch media; send text-only messages.", "messages", "unsupported_content");
                ids = Build(model, messages, request.AddGenerationPrompt ?? true);
            }
            var response = new TokenizeResponse(ids.Length, model.Engine.MaxModelLength, ids);
            await TypedResults.Json(response, ServerJsonContext.Default.TokenizeResponse).ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await ErrorResults.WriteAsync(context, e).ConfigureAwait(false);
        }
    }

    private static async Task DetokenizeAsync(HttpContext context, ServedModel model, RequestMapper mapper)
    {
        try
        {
            var request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.DetokenizeRequest).ConfigureAwait(false);
            mapper.CheckModel(request.Model);
            if (request.Tokens is null) throw ApiException.BadRequest("'tokens' must be an array of token ids.", "tokens");
            int vocab = model.Tokenizer.VocabSize;
            int bad = request.Tokens.FindIndex(id => id < 0 || id >= vocab);
            if (bad >= 0) throw ApiException.BadRequest($"tokens[{bad}] = {request.Tokens[bad]} is outside the vocabulary [0, {vocab}).", $"tokens[{bad}]");
            var response = new DetokenizeResponse(model.Tokenizer.Decode(request.Tokens.ToArray()));
            await TypedResults.Json(response, ServerJsonContext.Default.DetokenizeResponse).ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await ErrorResults.WriteAsync(context, e).ConfigureAwait(false);
        }
    }

    private static int[] Build(ServedModel model, List<ChatMessage> messages, bool addGenerationPrompt)
    {
        try
        {
            return model.Prompts.Build(messages, addGenerationPrompt).Ids;
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, "messages");
        }
    }
}
