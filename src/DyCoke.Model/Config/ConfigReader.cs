// Typed reads of JSON config fields with defaults, raising CheckpointException that names the file and field when
// a field has the wrong JSON type (a silent default there would load the wrong model).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DyCoke.Model.Config;

internal sealed class ConfigReader(string source, string prefix = "")
{
    /// <summary>A reader for the object under <paramref name="field"/>, whose errors name it as <c>field.key</c>.</summary>
    public ConfigReader Nested(string field) => new(source, prefix + field + ".");

    public JsonObject? Object(JsonObject o, string field) => Get(o, field) switch
    {
        null => null,
        JsonObject obj => obj,
        var other => throw Wrong(field, "an object", other),
    };

    public int Int(JsonObject o, string field, int fallback)
    {
        var node = Get(o, field);
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int i)) return i;
        if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue(out double x) && x == Math.Floor(x) && Math.Abs(x) <= int.MaxValue)
            return (int)x;
        throw Wrong(field, "an integer", node);
    }

    public double Double(JsonObject o, string field, double fallback)
    {
        var node = Get(o, field);
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d)) return d;
        throw Wrong(field, "a number", node);
    }

    public bool Bool(JsonObject o, string field, bool fallback)
    {
        var node = Get(o, field);
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw Wrong(field, "true or false", node);
    }

    public string? String(JsonObject o, string field, string? fallback)
    {
        var node = Get(o, field);
        if (node is null) return fallback;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw Wrong(field, "a string", node);
    }

    // JSON null counts as absent, as in transformers' from_dict.
    private static JsonNode? Get(JsonObject o, string field) => o.TryGetPropertyValue(field, out var node) ? node : null;

    private CheckpointException Wrong(string field, string expected, JsonNode found) =>
        new(source, prefix + field, $"expected {expected}, found {found.ToJsonString()}");
}
