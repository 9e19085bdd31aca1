// ChatCompletionRequest → EngineRequest (style.md "Request flow" 1): validates every field with OpenAI/vLLM wording
// and param names, renders the chat template, loads videos through IVideoLoader and expands their placeholders, and
// checks the context length. Every failure is an ApiException, raised before the first response byte.
using System.Text.Json;
using DyCoke.Compression;
using DyCoke.Engine;
using DyCoke.Model.Text;
using DyCoke.Server.Contracts;
using DyCoke.Server.Hosting;
using DyCoke.Server.Options;
using DyCoke.Tensors;

namespace DyCoke.Server.Mapping;

/// <summary>Maps wire requests onto the served model.</summary>
public sealed class RequestMapper(ServedModel model, IVideoLoader videos, MediaSettings limits, DyCokeOptions dycokeDefault)
{
    private const int MaxStopStrings = 16;

    /// <summary>Validates <paramref name="request"/>, loads its videos and builds the engine request.</summary>
    /// <exception cref="ApiException">Anything invalid; status 400 or 404 (unknown model), or the loader's status.</exception>
    public async Task<MappedRequest> MapAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckModel(request.Model);
        CheckUnsupported(request);
        bool stream = request.Stream ?? false;
        if (request.StreamOptions is not null && !stream)
            throw ApiException.BadRequest("Stream options can only be defined when `stream=True`.", "stream_options");
        var stops = StopStrings(request.Stop);
        var (messages, videoInputs) = Messages(request.Messages, request.MediaIoKwargs);
        // Both are checked: a bad max_tokens is refused even when max_completion_tokens takes precedence over it.
        if (request.MaxTokens is < 1) throw ApiException.BadRequest($"max_tokens must be at least 1, got {request.MaxTokens}.", "max_tokens");
        if (request.MaxCompletionTokens is < 1)
            throw ApiException.BadRequest($"max_completion_tokens must be at least 1, got {request.MaxCompletionTokens}.", "max_completion_tokens");
        int? maxTokens = request.MaxCompletionTokens ?? request.MaxTokens;
        string maxParam = request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        var sampling = Sampling(request);
        var dycoke = DyCokeField.Map(request.Dycoke, dycokeDefault, model.NumTextLayers);

        TokenizedPrompt prompt;
        try
        {
            prompt = model.Prompts.Build(messages);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, "messages");
        }

        var frames = new List<Tensor>(videoInputs.Count);
        try
        {
            foreach (var input in videoInputs) frames.Add(await videos.LoadAsync(input, cancellationToken).ConfigureAwait(false));
            var (ids, videoTokens) = ExpandVideos(prompt, frames);
            int maxLength = model.Engine.MaxModelLength;
            if (ids.Length >= maxLength)
                throw new ApiException(400, $"This model's maximum context length is {maxLength} tokens. However, your request has {ids.Length} input tokens. Please reduce the length of the input messages.",
                    "input_tokens", "context_length_exceeded");
            int max = maxTokens ?? maxLength - ids.Length;
            // Compared as max > room, not ids + max > length: max_tokens near int.MaxValue must not wrap around.
            if (max > maxLength - ids.Length)
                throw new ApiException(400, $"'max_tokens' or 'max_completion_tokens' is too large: {max}. This model's maximum context length is {maxLength} tokens and your request has {ids.Length} input tokens ({max} > {maxLength} - {ids.Length}).",
                    maxParam, "context_length_exceeded");
            var engineRequest = new EngineRequest($"chatcmpl-{Guid.NewGuid():N}", ids, frames, sampling with { MaxTokens = max }) { DyCoke = dycoke };
            return new MappedRequest(engineRequest, stops, stream, request.StreamOptions?.IncludeUsage ?? false, videoTokens);
        }
        catch
        {
            foreach (var f in frames) f.Dispose();
            throw;
        }
    }

    /// <summary>Accepts an empty name or the served one.</summary>
    /// <exception cref="ApiException">404 model_not_found for any other name.</exception>
    public void CheckModel(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == model.Name) return;
        throw new ApiException(404, $"The model `{Truncate(name)}` does not exist.", "model", "model_not_found");
    }

    private static void CheckUnsupported(ChatCompletionRequest r)
    {
        if (r.N is { } n && n != 1) throw ApiException.BadRequest($"n={n} is not supported yet; only n=1.", "n", "unsupported_parameter");
        if (r.TopLogprobs is { } top && (top < -1 || top > 20)) throw ApiException.BadRequest("top_logprobs must be between 0 and 20.", "top_logprobs");
        if (r.TopLogprobs is > 0 && r.Logprobs != true) throw ApiException.BadRequest("when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs");
        if (r.Logprobs == true) throw ApiException.BadRequest("logprobs are not supported yet.", "logprobs", "unsupported_parameter");
        if (r.Tools is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw ApiException.BadRequest("tools are not supported.", "tools", "unsupported_parameter");
        if (r.ResponseFormat is { ValueKind: JsonValueKind.Object } format
            && !(format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && JsonText.Is(type, "text")))
            throw ApiException.BadRequest("response_format other than {\"type\": \"text\"} is not supported.", "response_format", "unsupported_parameter");
    }

    private static SamplingParams Sampling(ChatCompletionRequest r)
    {
        static float Range(double? value, double min, double max, double fallback, string param, bool openMin = false)
        {
            double v = value ?? fallback;
            if (double.IsNaN(v) || v < min || v > max || (openMin && v <= min))
                throw ApiException.BadRequest($"{param} must be {(openMin ? "in (" : "in [")}{min}, {max}], got {v}.", param);
            return (float)v;
        }
        if (r.TopK is < -1) throw ApiException.BadRequest($"top_k must be -1 (disabled) or at least 1, got {r.TopK}.", "top_k");
        return new SamplingParams
        {
            Temperature = Range(r.Temperature, 0, 2, 1, "temperature"),
            TopP = Range(r.TopP, 0, 1, 1, "top_p", openMin: true),
            TopK = r.TopK ?? 0,
            MinP = Range(r.MinP, 0, 1, 0, "min_p"),
            PresencePenalty = Range(r.PresencePenalty, -2, 2, 0, "presence_penalty"),
            FrequencyPenalty = Range(r.FrequencyPenalty, -2, 2, 0, "frequency_penalty"),
            Seed = r.Seed,
            StopTokenIds = r.StopTokenIds ?? [],
            IgnoreEos = r.IgnoreEos ?? false,
        };
    }

    private static List<string> StopStrings(JsonElement? stop)
    {
        if (stop is not { } s || s.ValueKind == JsonValueKind.Null) return [];
        if (s.ValueKind == JsonValueKind.String) return [JsonText.Get(s, "stop")];
        if (s.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("stop must be a string or an array of strings.", "stop");
        if (s.GetArrayLength() > MaxStopStrings) throw ApiException.BadRequest($"stop may hold at most {MaxStopStrings} strings.", "stop");
        var list = new List<string>();
        foreach (var item in s.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiException.BadRequest("stop must be a string or an array of strings.", "stop");
            list.Add(JsonText.Get(item, "stop"));
        }
        return list;
    }

    /// <summary>Checks and converts the wire messages; videos become <see cref="VideoPart"/>s indexing the returned inputs.</summary>
    /// <exception cref="ApiException">A message, role or content part is invalid (400 naming it).</exception>
    public (List<ChatMessage> Messages, List<VideoInput> Videos) Messages(List<ChatMessageDto?>? dtos, JsonElement? mediaIoKwargs)
    {
        if (dtos is not { Count: > 0 }) throw ApiException.BadRequest("messages must be a non-empty array.", "messages");
        var (numFrames, fps) = VideoOptions(mediaIoKwargs);
        var messages = new List<ChatMessage>(dtos.Count);
        var videoInputs = new List<VideoInput>();
        for (int i = 0; i < dtos.Count; i++)
        {
            string at = $"messages[{i}]";
            var dto = dtos[i] ?? throw ApiException.BadRequest($"{at} must be an object.", at);
            var role = dto.Role switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                null => throw ApiException.BadRequest($"{at}.role is required.", $"{at}.role"),
                _ => throw ApiException.BadRequest($"{at}.role '{Truncate(dto.Role)}' is not supported; use system, user or assistant.", $"{at}.role"),
            };
            var parts = new List<ChatContentPart>();
            switch (dto.Content)
            {
                case null or { ValueKind: JsonValueKind.Null } when role == ChatRole.Assistant:
                    break;
                case { ValueKind: JsonValueKind.String } text:
                    parts.Add(new TextPart(JsonText.Get(text, $"{at}.content")));
                    break;
                case { ValueKind: JsonValueKind.Array } array:
                    int j = 0;
                    foreach (var part in array.EnumerateArray())
                        parts.Add(Part(part, $"{at}.content[{j++}]", role, videoInputs, numFrames, fps));
                    break;
                default:
                    throw ApiException.BadRequest($"{at}.content must be a string or an array of content parts.", $"{at}.content");
            }
            messages.Add(new ChatMessage(role, parts));
        }
        if (videoInputs.Count > limits.MaxVideosPerRequest)
            throw ApiException.BadRequest($"at most {limits.MaxVideosPerRequest} videos per request are allowed, got {videoInputs.Count}.", "messages");
        return (messages, videoInputs);
    }

    private static ChatContentPart Part(JsonElement part, string at, ChatRole role, List<VideoInput> videoInputs, int? numFrames, double? fps)
    {
        if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw ApiException.BadRequest($"{at} must be an object with a string 'type'.", at);
        string typeName = JsonText.Get(type, $"{at}.type");
        switch (typeName)
        {
            case "text":
                if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    throw ApiException.BadRequest($"{at}.text must be a string.", $"{at}.text");
                return new TextPart(JsonText.Get(text, $"{at}.text"));
            case "video_url":
                if (role != ChatRole.User) throw ApiException.BadRequest($"{at}: videos are only accepted in user messages.", at);
                if (!part.TryGetProperty("video_url", out var video) || video.ValueKind != JsonValueKind.Object
                    || !video.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String || JsonText.Is(url, ""))
                    throw ApiException.BadRequest($"{at}.video_url.url must be a non-empty string.", $"{at}.video_url.url");
                videoInputs.Add(new VideoInput(JsonText.Get(url, $"{at}.video_url.url"), numFrames, fps, at));
                return new VideoPart(videoInputs.Count - 1);
            case "image_url":
                throw ApiException.BadRequest($"{at}: image input is not supported yet; send a video_url.", at, "unsupported_content");
            default:
                throw ApiException.BadRequest($"{at}.type '{Truncate(typeName)}' is not supported; use text or video_url.", $"{at}.type");
        }
    }

    private (int? NumFrames, double? Fps) VideoOptions(JsonElement? mediaIoKwargs)
    {
        if (mediaIoKwargs is not { ValueKind: JsonValueKind.Object } kwargs || !kwargs.TryGetProperty("video", out var video)) return (null, null);
        if (video.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("media_io_kwargs.video must be an object.", "media_io_kwargs.video");
        int? frames = null;
        double? fps = null;
        if (video.TryGetProperty("num_frames", out var f))
        {
            if (f.ValueKind != JsonValueKind.Number || !f.TryGetInt32(out int n) || n < 1 || n > limits.MaxFrames)
                throw ApiException.BadRequest($"media_io_kwargs.video.num_frames must be an integer from 1 to the server maximum {limits.MaxFrames}.", "media_io_kwargs.video.num_frames");
            frames = n;
        }
        if (video.TryGetProperty("fps", out var r))
        {
            if (r.ValueKind != JsonValueKind.Number || !r.TryGetDouble(out double v) || !(v > 0) || v > limits.MaxFps)
                throw ApiException.BadRequest($"media_io_kwargs.video.fps must be a number in (0, {limits.MaxFps}] (the server maximum).", "media_io_kwargs.video.fps");
            fps = v;
        }
        return (frames, fps);
    }

    // The template leaves one placeholder id per video; the model needs F·196 + 1 rows for video i.
    private (int[] Ids, int VideoTokens) ExpandVideos(TokenizedPrompt prompt, List<Tensor> frames)
    {
        if (prompt.Videos.Count == 0) return (prompt.Ids, 0);
        var ids = new List<int>(prompt.Ids.Length);
        int videoTokens = 0, next = 0;
        for (int position = 0; position < prompt.Ids.Length; position++)
        {
            if (next < prompt.Videos.Count && prompt.Videos[next].Position == position)
            {
                var pixels = frames[prompt.Videos[next].MediaIndex]; // [F, 3, S, S]
                int rows = model.TokensPerVideo(checked((int)pixels.Shape[0]));
                ids.AddRange(Enumerable.Repeat(prompt.Ids[position], rows));
                videoTokens += rows;
                next++;
            }
            else ids.Add(prompt.Ids[position]);
        }
        return (ids.ToArray(), videoTokens);
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 200 ? value : value[..200] + "...";
}
