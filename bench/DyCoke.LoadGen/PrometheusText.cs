// Reads the few server counters worth relating to a level (preemptions, 503s, token totals, media decode time) out of
// a GET /metrics scrape, so the report can say what the server did during the level, not only what the client saw.
using System.Globalization;

namespace DyCoke.LoadGen;

/// <summary>A minimal Prometheus text-format reader.</summary>
internal static class PrometheusText
{
    /// <summary>Metric names after the server's prefix ("dycoke:", "vllm:" or none) whose change over a level is
    /// reported.</summary>
    public static readonly string[] Selected =
    [
        "num_preemptions_total", "requests_rejected_total", "http_requests_client_disconnected_total",
        "prompt_tokens_total", "generation_tokens_total", "video_tokens_before_ttm_total", "video_tokens_after_ttm_total",
        "media_decode_seconds_sum", "media_decode_seconds_count", "time_to_first_token_seconds_sum", "time_to_first_token_seconds_count",
    ];

    /// <summary>Each selected metric's value summed over its label sets, keyed by the unprefixed name.</summary>
    public static Dictionary<string, double> ReadSelected(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int brace = line.IndexOf('{');
            int space = line.IndexOf(' ');
            if (space < 0) continue;
            string name = brace >= 0 && brace < space ? line[..brace] : line[..space];
            int colon = name.LastIndexOf(':');
            string key = colon >= 0 ? name[(colon + 1)..] : name;
            if (!Selected.Contains(key)) continue;
            // The value follows the label set (whose quoted values may hold spaces), then an optional timestamp.
            int labelsEnd = brace >= 0 && brace < space ? line.LastIndexOf('}') : space - 1;
            string[] rest = line[(labelsEnd + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length == 0 || !double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) continue;
            values[key] = values.GetValueOrDefault(key) + value;
        }
        return values;
    }

    /// <summary><paramref name="after"/> minus <paramref name="before"/> for every metric in both; null if either
    /// scrape failed.</summary>
    public static Dictionary<string, double>? Delta(string? before, string? after)
    {
        if (before is null || after is null) return null;
        var b = ReadSelected(before);
        var a = ReadSelected(after);
        return a.Where(p => b.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => p.Value - b[p.Key], StringComparer.Ordinal);
    }
}
