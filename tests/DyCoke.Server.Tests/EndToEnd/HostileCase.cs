// One hostile request for the fuzz test and the valid request the structure-aware mutations start from. A case says
// whether it is certainly invalid (then it must get a 4xx) or may happen to be valid (then any non-5xx answer is fine).
using System.Text;
using System.Text.Json.Nodes;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>A request body sent to POST /v1/chat/completions.</summary>
/// <param name="Name">What the case does, for failure messages.</param>
/// <param name="Body">The raw bytes (not necessarily UTF-8, not necessarily JSON).</param>
/// <param name="ContentType">The Content-Type header, or null for none.</param>
/// <param name="MayBeValid">True when the body could be a valid request; false demands a 4xx.</param>
/// <param name="Status">An exact status the case must get (e.g. 413), or null.</param>
/// <param name="Chunked">Send without Content-Length (chunked transfer encoding).</param>
public sealed record HostileCase(string Name, byte[] Body, string? ContentType, bool MayBeValid, int? Status = null, bool Chunked = false)
{
    public const string Json = "application/json";

    public static HostileCase Invalid(string name, string body) => new(name, Encoding.UTF8.GetBytes(body), Json, MayBeValid: false);

    public static HostileCase Maybe(string name, string body) => new(name, Encoding.UTF8.GetBytes(body), Json, MayBeValid: true);

    public override string ToString()
    {
        string text = Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 160));
        return $"{Name} [{Body.Length} B{(Chunked ? " chunked" : "")}, {ContentType ?? "no content type"}]: {text}";
    }
}

/// <summary>
/// The valid request every structure-aware mutation edits: every field the server reads, set to a valid value, and a
/// user message of two parts: a video_url part (only when a mutation targets it, since an accepted video costs an
/// ffmpeg run) or a text part, then a text part. Edits put a marker where the hostile raw JSON text goes, so values
/// JSON cannot hold as a node (1e400, broken escapes, deep nesting) still land exactly where intended.
/// </summary>
internal sealed class BaseRequest(string model, string videoUrl)
{
    private const string Marker = "\u0001HOSTILE\u0001";

    /// <summary>The URL of a real clip the server accepts.</summary>
    public string VideoUrl => videoUrl;

    /// <summary>The base request as a mutable tree; its first content part is a video when <paramref name="video"/>.</summary>
    public JsonObject Tree(bool video) => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "Answer briefly." },
            new JsonObject
            {
                ["role"] = "user",
                ["name"] = "fuzzer",
                ["content"] = new JsonArray(
                    video
                        ? new JsonObject { ["type"] = "video_url", ["video_url"] = new JsonObject { ["url"] = videoUrl } }
                        : new JsonObject { ["type"] = "text", ["text"] = "Think of a video." },
                    new JsonObject { ["type"] = "text", ["text"] = "What happens in the video?" }),
            }),
        ["max_tokens"] = 2,
        ["temperature"] = 0.7,
        ["top_p"] = 0.9,
        ["top_k"] = 5,
        ["min_p"] = 0.05,
        ["seed"] = 7,
        ["stop"] = new JsonArray("zz"),
        ["n"] = 1,
        ["stream"] = false,
        ["presence_penalty"] = 0.1,
        ["frequency_penalty"] = 0.1,
        ["logprobs"] = false,
        ["user"] = "fuzz",
        ["stop_token_ids"] = new JsonArray(3),
        ["ignore_eos"] = false,
        ["media_io_kwargs"] = new JsonObject { ["video"] = new JsonObject { ["num_frames"] = 1 } },
        ["dycoke"] = new JsonObject { ["enabled"] = true, ["k"] = 0.5, ["p"] = 0.5 },
    };

    /// <summary>The base body with <paramref name="raw"/> (JSON text, possibly broken) at <paramref name="place"/>.</summary>
    public string With(Place place, string raw)
    {
        var tree = Tree(place.Video);
        place.Set(tree, JsonValue.Create(Marker));
        return tree.ToJsonString().Replace(Serialized(Marker), raw, StringComparison.Ordinal);
    }

    /// <summary>The base body (with or without its video) after <paramref name="edit"/>.</summary>
    public string Edited(bool video, Action<JsonObject> edit)
    {
        var tree = Tree(video);
        edit(tree);
        return tree.ToJsonString();
    }

    /// <summary>A field a mutation targets: its JSON path, how to set it, and whether it lives in the video part.</summary>
    public sealed record Place(string Path, Action<JsonObject, JsonNode> Set, bool Video = false);

    /// <summary>Every field the server reads.</summary>
    public static IEnumerable<Place> Places()
    {
        foreach (string field in (string[])["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
            "min_p", "seed", "stop", "n", "stream", "stream_options", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs",
            "user", "response_format", "tools", "stop_token_ids", "ignore_eos", "media_io_kwargs", "dycoke"])
            yield return new(field, (t, v) => t[field] = v);
        yield return new("messages[1]", (t, v) => Messages(t)[1] = v);
        foreach (string field in (string[])["role", "content", "name"])
            yield return new($"messages[1].{field}", (t, v) => Messages(t)[1]![field] = v);
        yield return new("messages[1].content[0]", (t, v) => Content(t)[0] = v, Video: true);
        yield return new("messages[1].content[0].type", (t, v) => Content(t)[0]!["type"] = v, Video: true);
        yield return new("messages[1].content[0].video_url", (t, v) => Content(t)[0]!["video_url"] = v, Video: true);
        yield return new("messages[1].content[0].video_url.url", (t, v) => Content(t)[0]!["video_url"]!["url"] = v, Video: true);
        yield return new("messages[1].content[1].text", (t, v) => Content(t)[1]!["text"] = v);
        yield return new("media_io_kwargs.video", (t, v) => t["media_io_kwargs"]!["video"] = v);
        yield return new("media_io_kwargs.video.num_frames", (t, v) => t["media_io_kwargs"]!["video"]!["num_frames"] = v);
        yield return new("media_io_kwargs.video.fps", (t, v) => t["media_io_kwargs"]!["video"]!["fps"] = v);
        foreach (string field in (string[])["enabled", "k", "l", "p", "mode"])
            yield return new($"dycoke.{field}", (t, v) => t["dycoke"]![field] = v);
    }

    public static JsonArray Messages(JsonObject tree) => tree["messages"]!.AsArray();

    public static JsonArray Content(JsonObject tree) => Messages(tree)[1]!["content"]!.AsArray();

    private static string Serialized(string text) => JsonValue.Create(text).ToJsonString();
}
