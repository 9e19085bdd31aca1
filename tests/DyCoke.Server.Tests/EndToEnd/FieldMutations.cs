// Structure-aware fuzzing: every field the server reads set to every kind of wrong JSON value (each JSON type,
// boundary and overflowing numbers, number-like strings, broken escapes, junk tokens), with a per-field rule that
// says which of those values the server may legitimately accept, so every other case must be answered with a 4xx.
using System.Text.Json;

namespace DyCoke.Server.Tests.EndToEnd;

internal static class FieldMutations
{
    /// <summary>Raw JSON text tried in every field; the last group is not JSON at all.</summary>
    public static readonly string[] Values =
    [
        "null", "true", "false",
        "0", "-0", "1", "2", "7", "17", "31", "64", "65", "1000", "-1", "-2", "0.5", "1.0", "1.5", "-1.5", "2.5", "1E2", "1e-7",
        "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "1e308", "-1e308", "1e400", "-1e400", "1e-400", "123456789012345678901234567890",
        "\"\"", "\"x\"", "\"1\"", "\"-1\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e400\"", "\"true\"", "\"null\"",
        "\"user\"", "\"assistant\"", "\"tool\"", "\"text\"", "\"video_url\"", "\"image_url\"", "\"paper\"",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\\uffff\"", "\"\\u202e\\u0008\"", "\"\u00e9\u4e2d\U0001F600\"",
        "\"javascript:alert(1)\"", "\"file:///etc/passwd\"",
        "[]", "[1]", "[\"x\"]", "[null]", "[[]]", "[{}]", "[1,\"x\",null,true]",
        "{}", "{\"a\":1}", "{\"type\":\"text\"}", "{\"url\":1}", "{\"url\":\"\"}",
        "NaN", "Infinity", "-Infinity", "+1", "01", ".5", "1.", "0x10", "'x'", "undefined", "1_000", "--1", "\"unterminated",
        "[1,]", "{\"a\":}", "\"\\x41\"", "\"\\u12\"", "tru", "nul",
    ];

    /// <summary>Every field × every value of <see cref="Values"/>.</summary>
    public static IEnumerable<HostileCase> Cases(BaseRequest request)
    {
        foreach (var place in BaseRequest.Places())
        {
            foreach (string raw in Values)
            {
                string body = request.With(place, raw);
                string name = $"{place.Path} = {raw}";
                yield return MayAccept(place.Path, raw) ? HostileCase.Maybe(name, body) : HostileCase.Invalid(name, body);
            }
        }
    }

    /// <summary>
    /// True when <paramref name="raw"/> at <paramref name="path"/> may be valid (the server then answers 200 or a 4xx
    /// for another reason); false when the server must refuse it. Errs towards "may be valid".
    /// </summary>
    public static bool MayAccept(string path, string raw)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(raw);
        }
        catch (JsonException)
        {
            return false; // not JSON: the body cannot parse
        }
        using (doc)
        {
            var v = doc.RootElement;
            bool isNull = v.ValueKind == JsonValueKind.Null;
            bool isString = v.ValueKind == JsonValueKind.String;
            string? text = isString && TryString(v, out string s) ? s : null;
            bool isInt = v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _);
            long integer = isInt ? v.GetInt64() : 0;
            bool isNumber = v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out _);
            double number = isNumber ? v.GetDouble() : double.NaN;
            bool isBool = v.ValueKind is JsonValueKind.True or JsonValueKind.False;
            bool InRange(double min, double max, bool openMin = false) => isNumber && number <= max && (openMin ? number > min : number >= min);

            return path switch
            {
                "model" => isNull || text == "", // any other name is a 404
                "messages" or "messages[1]" or "messages[1].content[0]" or "messages[1].content[0].video_url"
                    or "messages[1].content[0].video_url.url" => false,
                "messages[1].content[0].type" => text == "video_url",
                "messages[1].role" => text is "user" or "system" or "developer" or "assistant",
                "messages[1].content" => isString || v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0,
                "messages[1].content[1].text" => isString,
                "messages[1].name" or "user" => isNull || isString,
                "max_tokens" or "max_completion_tokens" => isNull || isInt && integer is >= 1 and <= 1000,
                "temperature" => isNull || InRange(0, 2),
                "top_p" => isNull || InRange(0, 1, openMin: true),
                "min_p" => isNull || InRange(0, 1),
                "presence_penalty" or "frequency_penalty" => isNull || InRange(-2, 2),
                "top_k" => isNull || isInt && integer is >= -1 and <= int.MaxValue,
                "seed" => isNull || isInt,
                "stop" => isNull || isString || v.ValueKind == JsonValueKind.Array && v.GetArrayLength() <= 16
                    && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String),
                "n" => isNull || isInt && integer == 1,
                "stream" or "ignore_eos" => isNull || isBool,
                "logprobs" => isNull || v.ValueKind == JsonValueKind.False,
                "stream_options" => isNull, // the base does not stream
                "top_logprobs" => isNull || isInt && integer is -1 or 0,
                "response_format" => v.ValueKind != JsonValueKind.Object
                    || v.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "text",
                "tools" => v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0,
                "stop_token_ids" => isNull || v.ValueKind == JsonValueKind.Array
                    && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)),
                "media_io_kwargs" => v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("video", out _),
                "media_io_kwargs.video" => v.ValueKind == JsonValueKind.Object,
                "media_io_kwargs.video.num_frames" => isInt && integer is >= 1 and <= 64,
                "media_io_kwargs.video.fps" => InRange(0, 30, openMin: true),
                "dycoke" => isNull || v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any(),
                "dycoke.enabled" => isBool,
                "dycoke.k" or "dycoke.p" => InRange(0, 1),
                "dycoke.l" => isInt,
                "dycoke.mode" => text is "paper" or "reference",
                _ => throw new InvalidOperationException($"no acceptance rule for {path}"),
            };
        }
    }

    private static bool TryString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = ""; // a lone surrogate escape: not a string .NET can hold
            return false;
        }
    }
}
