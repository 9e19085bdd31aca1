// Hostile request bodies beyond single-field type confusion: huge strings in every string field up to the body limit,
// nesting at and past the parser's depth limit, semantic misuse (roles, part types, n, token limits, extensions),
// broken JSON syntax, non-UTF-8 encodings, wrong Content-Types and bodies over the size limit.
using System.Text;
using System.Text.Json.Nodes;

namespace DyCoke.Server.Tests.EndToEnd;

internal static class HostileInputs
{
    /// <summary>The parser's depth limit (ServerJsonContext MaxDepth); the body object itself is one level.</summary>
    private const int MaxDepth = 64;

    public static IEnumerable<HostileCase> Cases(BaseRequest request, long bodyLimit) =>
        HugeStrings(request, bodyLimit).Concat(Nesting(request)).Concat(Semantics(request)).Concat(Syntax(request, bodyLimit));

    private static IEnumerable<HostileCase> HugeStrings(BaseRequest request, long bodyLimit)
    {
        // Fields where any string is valid may accept a long one; for the others a long string is a wrong name.
        string[] anyString = ["messages[1].content", "messages[1].content[1].text", "messages[1].name", "user", "stop"];
        string[] places = ["model", "messages[1].role", "messages[1].content", "messages[1].content[1].text", "messages[1].name", "user",
            "stop", "messages[1].content[0].type", "messages[1].content[0].video_url.url", "dycoke.mode"];
        // (unit as JSON text, its UTF-8 size): ASCII, words, 2- and 4-byte UTF-8, escaped NUL, escaped lone surrogates.
        (string Unit, int Bytes)[] fillers = [("x", 1), ("lorem ipsum ", 12), ("\u00e9", 2), ("\U0001F600", 4), ("\\u0000", 6), ("\\ud800", 6)];
        foreach (var place in BaseRequest.Places().Where(p => places.Contains(p.Path)))
        {
            foreach (long size in (long[])[4_000, 200_000, bodyLimit - 8_192])
            {
                foreach (var (unit, bytes) in fillers)
                {
                    string raw = "\"" + string.Concat(Enumerable.Repeat(unit, (int)(size / bytes))) + "\"";
                    string body = request.With(place, raw);
                    string name = $"{place.Path} = {size} B of '{unit}'";
                    yield return anyString.Contains(place.Path) ? HostileCase.Maybe(name, body) : HostileCase.Invalid(name, body);
                }
            }
        }
    }

    private static IEnumerable<HostileCase> Nesting(BaseRequest request)
    {
        // Fields that ignore or accept a nested value of their kind, so only depth can make those bodies invalid.
        string[] arraysOk = ["media_io_kwargs", "response_format", "tool_choice", "unknown_field"];
        string[] objectsOk = ["media_io_kwargs", "tools", "tool_choice", "unknown_field"];
        string[] fields = ["messages", "stop", "dycoke", "media_io_kwargs", "tools", "response_format", "tool_choice", "unknown_field", "seed"];
        foreach (int depth in (int[])[2, 10, MaxDepth - 2, MaxDepth - 1, MaxDepth, MaxDepth + 1, 100, 1_000, 10_000, 100_000])
        {
            string arrays = new string('[', depth) + new string(']', depth);
            string objects = string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);
            // Within the limit the parser reads it; past it (one level of slack for how depth is counted) it must refuse.
            bool tooDeep = depth + 1 > MaxDepth + 1;
            foreach (string field in fields)
            {
                var place = new BaseRequest.Place(field, (t, v) => t[field] = v);
                yield return Case($"{field} = {depth} nested arrays", request.With(place, arrays), !tooDeep && arraysOk.Contains(field));
                yield return Case($"{field} = {depth} nested objects", request.With(place, objects), !tooDeep && objectsOk.Contains(field));
            }
            yield return HostileCase.Invalid($"body = {depth} nested arrays", arrays);
            yield return HostileCase.Invalid($"body = {depth} nested objects", objects);
            yield return HostileCase.Invalid($"content = {depth} arrays of text parts",
                request.With(BaseRequest.Places().Single(p => p.Path == "messages[1].content"),
                    new string('[', depth) + "{\"type\":\"text\",\"text\":\"x\"}" + new string(']', depth)));
        }
    }

    private static IEnumerable<HostileCase> Semantics(BaseRequest request)
    {
        HostileCase Invalid(string name, bool video, Action<JsonObject> edit) => HostileCase.Invalid(name, request.Edited(video, edit));
        // A video the server could load: only the misuse around it makes these requests invalid.
        JsonObject Video() => new() { ["type"] = "video_url", ["video_url"] = new JsonObject { ["url"] = request.VideoUrl } };

        foreach (string role in (string[])["tool", "function", "", "User", "USER", "root", "model", "system\u0000", "assistant "])
            yield return Invalid($"role '{role}'", false, t => BaseRequest.Messages(t)[1]!["role"] = role);
        foreach (string type in (string[])["image_url", "input_audio", "audio_url", "file", "refusal", "TEXT", "Video_Url", "video", "", "text "])
            yield return Invalid($"part type '{type}'", false, t => BaseRequest.Content(t)[0]!["type"] = type);
        yield return Invalid("video in a system message", true, t => BaseRequest.Messages(t)[0]!["content"] = new JsonArray(Video()));
        yield return Invalid("video in an assistant message", true, t => BaseRequest.Messages(t).Add(new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(Video()) }));
        yield return Invalid("five video parts", false, t =>
        {
            var content = BaseRequest.Content(t);
            for (int i = 0; i < 5; i++) content.Add(Video());
        });
        yield return Invalid("user content null", false, t => BaseRequest.Messages(t)[1]!["content"] = null);
        yield return Invalid("user content missing", false, t => BaseRequest.Messages(t)[1]!.AsObject().Remove("content"));
        yield return Invalid("messages empty", false, t => t["messages"] = new JsonArray());
        yield return Invalid("messages missing", false, t => t.Remove("messages"));
        yield return Invalid("10000 empty messages", false, t => t["messages"] = new JsonArray(Enumerable.Range(0, 10_000).Select(_ => (JsonNode?)new JsonObject()).ToArray()));
        foreach (int n in (int[])[2, 3, 10, 128, int.MaxValue, 0, -1])
            yield return Invalid($"n = {n}", false, t => t["n"] = n);
        foreach (int max in (int[])[-1, 0, int.MinValue, -1000])
        {
            yield return Invalid($"max_tokens = {max}", false, t => t["max_tokens"] = max);
            yield return Invalid($"max_completion_tokens = {max}", false, t => t["max_completion_tokens"] = max);
            // A bad value is refused even when the other field is valid and takes precedence.
            yield return Invalid($"max_tokens = {max} beside max_completion_tokens = 2", false, t => (t["max_tokens"], t["max_completion_tokens"]) = (max, 2));
        }
        yield return Invalid("max_tokens over the context", false, t => t["max_tokens"] = 1_000_000);
        yield return Invalid("logprobs true", false, t => t["logprobs"] = true);
        yield return Invalid("top_logprobs without logprobs", false, t => t["top_logprobs"] = 5);
        yield return Invalid("top_logprobs 21", false, t => (t["logprobs"], t["top_logprobs"]) = (true, 21));
        yield return Invalid("tools", false, t => t["tools"] = new JsonArray(new JsonObject { ["type"] = "function" }));
        yield return Invalid("response_format json_object", false, t => t["response_format"] = new JsonObject { ["type"] = "json_object" });
        yield return Invalid("stream_options without stream", false, t => t["stream_options"] = new JsonObject { ["include_usage"] = true });
        yield return Invalid("17 stop strings", false, t => t["stop"] = new JsonArray(Enumerable.Range(0, 17).Select(i => (JsonNode?)$"s{i}").ToArray()));
        yield return Invalid("model unknown", false, t => t["model"] = "gpt-4o");
        yield return Invalid("model with path", false, t => t["model"] = "../../etc/passwd");
        foreach (var (key, value) in (ValueTuple<string, JsonNode>[])[("k", 1.5), ("p", -0.1), ("l", 1_000), ("mode", "fast"), ("enabled", "yes"), ("x", 1), ("K", 0.5)])
            yield return Invalid($"dycoke.{key} = {value.ToJsonString()}", false, t => t["dycoke"]![key] = value);
        foreach (var (key, value) in (ValueTuple<string, JsonNode>[])[("num_frames", 0), ("num_frames", 65), ("num_frames", -3), ("fps", 0), ("fps", 31), ("fps", -1.5)])
            yield return Invalid($"media_io_kwargs.video.{key} = {value.ToJsonString()}", false, t => t["media_io_kwargs"]!["video"]![key] = value);
        yield return Invalid("media_io_kwargs.video a string", false, t => t["media_io_kwargs"]!["video"] = "fast");
    }

    private static IEnumerable<HostileCase> Syntax(BaseRequest request, long bodyLimit)
    {
        string valid = request.Edited(false, _ => { });
        foreach (string junk in (string[])["", " ", "\n", "null", "true", "1", "-1e400", "\"s\"", "[]", "[{}]", "{", "}", "{}", "{}{}", "[]{}",
            "{\"messages\":}", "{\"messages\":[}", "{'messages':[]}", "{messages:[]}", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",}]}",
            valid + "//", "/* c */" + valid, valid + valid, valid[..^1] + ",}", valid.Replace(":", "="), valid.Replace("\"", "'"), valid[..(valid.Length / 2)]])
            yield return HostileCase.Invalid("syntax", junk);

        byte[] utf8 = Encoding.UTF8.GetBytes(valid);
        yield return new HostileCase("UTF-16LE body", Encoding.Unicode.GetBytes(valid), HostileCase.Json, MayBeValid: false);
        yield return new HostileCase("UTF-16BE body with BOM", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(valid)], HostileCase.Json, false);
        yield return new HostileCase("UTF-32 body", Encoding.UTF32.GetBytes(valid), HostileCase.Json, MayBeValid: false);
        yield return new HostileCase("UTF-8 BOM", [0xEF, 0xBB, 0xBF, .. utf8], HostileCase.Json, MayBeValid: true);
        yield return new HostileCase("leading NUL", [0, .. utf8], HostileCase.Json, MayBeValid: false);
        yield return new HostileCase("trailing NUL", [.. utf8, 0], HostileCase.Json, MayBeValid: false);
        // Invalid UTF-8 inside a string that accepts any text: lone bytes, overlong forms, encoded surrogates, cut sequences.
        var text = BaseRequest.Places().Single(p => p.Path == "messages[1].content[1].text");
        foreach (byte[] junk in (byte[][])[[0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFE, 0xFF]])
        {
            byte[] body = Encoding.UTF8.GetBytes(request.With(text, "\"\u0001JUNK\u0001\""));
            int at = IndexOf(body, Encoding.UTF8.GetBytes("\u0001JUNK\u0001"));
            yield return new HostileCase($"invalid UTF-8 {Convert.ToHexString(junk)}", [.. body[..at], .. junk, .. body[(at + 6)..]], HostileCase.Json, MayBeValid: false);
        }
        foreach (char control in (char[])['\u0000', '\u0001', '\n', '\t', '\u001f'])
            yield return HostileCase.Invalid($"raw control U+{(int)control:X4} in a string", request.With(text, $"\"a{control}b\""));

        foreach (string? type in (string?[])[null, "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/xml", "text/json", "application/octet-stream", "*/*", "json", "application/ json", "application/vnd.api+json"])
            yield return new HostileCase($"Content-Type '{type ?? "none"}'", utf8, type, MayBeValid: false);

        // Bodies over the limit, announced by Content-Length or streamed chunked: 413 in both cases.
        foreach (long size in (long[])[bodyLimit + 1, bodyLimit * 4])
        {
            var place = BaseRequest.Places().Single(p => p.Path == "messages[1].content[1].text");
            string shell = request.With(place, "\"\"");
            byte[] big = Encoding.UTF8.GetBytes(request.With(place, "\"" + new string('x', (int)(size - shell.Length)) + "\""));
            yield return new HostileCase($"{big.Length} B body", big, HostileCase.Json, MayBeValid: false, Status: 413);
            yield return new HostileCase($"{big.Length} B body chunked", big, HostileCase.Json, MayBeValid: false, Status: 413, Chunked: true);
        }
    }

    private static HostileCase Case(string name, string body, bool mayBeValid) =>
        mayBeValid ? HostileCase.Maybe(name, body) : HostileCase.Invalid(name, body);

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }
        throw new InvalidOperationException("marker not found");
    }
}
