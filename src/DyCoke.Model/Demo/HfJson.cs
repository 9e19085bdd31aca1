// Deterministic JSON text in the shape Hugging Face writes it: two-space indent, "key": value, one array item per
// line, "\n" line ends (never the platform's), non-ASCII kept as UTF-8, a final newline; config-style files with keys
// sorted and floats spelled as Python prints them (1e-06, 1000000.0).
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DyCoke.Model.Demo;

internal static class HfJson
{
    // Token strings and templates stay readable ("Ġthe", "<|im_start|>") instead of \uXXXX escapes; quotes,
    // backslashes and control characters are still escaped.
    private static readonly JavaScriptEncoder s_encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>
    /// UTF-8 text of <paramref name="node"/> with object keys in ordinal order at every level, as transformers'
    /// <c>json.dumps(..., indent=2, sort_keys=True)</c> writes configs.
    /// </summary>
    public static byte[] WriteSorted(JsonNode node) => Write(node, sortKeys: true);

    /// <summary>UTF-8 text of <paramref name="node"/> in its own key order (tokenizer.json's order is structural).</summary>
    public static byte[] WriteInOrder(JsonNode node) => Write(node, sortKeys: false);

    /// <summary>The shortest round-trip text of <paramref name="value"/> in Python's <c>repr</c> style.</summary>
    public static string PythonFloat(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "JSON has no NaN or infinity");
        return PythonStyle(value.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A float written with its own shortest digits (1e-06f as "1e-06", not the "9.99999997e-07" its widening to
    /// double would print), since configs hold eps values as float.
    /// </summary>
    public static string PythonFloat(float value)
    {
        if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "JSON has no NaN or infinity");
        return PythonStyle(value.ToString("R", CultureInfo.InvariantCulture));
    }

    // .NET's shortest round-trip text ("1E-06", "1000000", "0.5") in Python's spelling ("1e-06", "1000000.0", "0.5").
    private static string PythonStyle(string text)
    {
        if (text.Contains('E')) return text.Replace('E', 'e');
        return text.Contains('.') ? text : text + ".0";
    }

    private static byte[] Write(JsonNode node, bool sortKeys)
    {
        var sb = new StringBuilder();
        WriteNode(sb, node, 0, sortKeys);
        sb.Append('\n');
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(sb.ToString());
    }

    private static void WriteNode(StringBuilder sb, JsonNode? node, int indent, bool sortKeys)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                IEnumerable<KeyValuePair<string, JsonNode?>> members = sortKeys ? obj.OrderBy(kv => kv.Key, StringComparer.Ordinal) : obj;
                WriteContainer(sb, '{', '}', members, indent, (member, depth) =>
                {
                    WriteString(sb, member.Key);
                    sb.Append(": ");
                    WriteNode(sb, member.Value, depth, sortKeys);
                });
                break;
            case JsonArray array:
                WriteContainer(sb, '[', ']', array, indent, (item, depth) => WriteNode(sb, item, depth, sortKeys));
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON node {node.GetType().Name}");
        }
    }

    // Empty containers stay on one line ("[]", "{}"); others put each item on its own line, indented two more spaces.
    private static void WriteContainer<T>(StringBuilder sb, char open, char close, IEnumerable<T> items, int indent, Action<T, int> writeItem)
    {
        sb.Append(open);
        bool first = true;
        foreach (var item in items)
        {
            sb.Append(first ? "\n" : ",\n");
            sb.Append(' ', indent + 2);
            writeItem(item, indent + 2);
            first = false;
        }
        if (!first) sb.Append('\n').Append(' ', indent);
        sb.Append(close);
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        // Parsed values keep their original text. For built ones TryGetValue is exact about the stored CLR type,
        // so a double stays a float and an int stays an int.
        if (value.TryGetValue(out JsonElement element)) sb.Append(element.GetRawText());
        else if (value.TryGetValue(out string? s)) WriteString(sb, s);
        else if (value.TryGetValue(out bool b)) sb.Append(b ? "true" : "false");
        else if (value.TryGetValue(out int i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue(out long l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
        else if (value.TryGetValue(out double d)) sb.Append(PythonFloat(d));
        else if (value.TryGetValue(out float f)) sb.Append(PythonFloat(f));
        else throw new InvalidOperationException($"unsupported JSON value {value.ToJsonString()}");
    }

    private static void WriteString(StringBuilder sb, string text) => sb.Append('"').Append(s_encoder.Encode(text)).Append('"');
}
