// The metric series the server really exports: the real server (demo checkpoint in a temp directory, CPU) renders its
// Prometheus text once, and every family's series names are taken from its TYPE lines. Also pulls metric names out of
// PromQL, so dashboards and autoscalers can be checked against them.
using System.Text.RegularExpressions;
using DyCoke.Server.Hosting;
using DyCoke.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace DyCoke.Deploy.Tests;

/// <summary>Series names of the server's /metrics and PromQL name extraction.</summary>
internal static partial class ExportedMetrics
{
    private static readonly Lazy<IReadOnlySet<string>> s_series = new(Render);

    /// <summary>Every series name a scrape can return (histograms as _bucket, _sum and _count).</summary>
    public static IReadOnlySet<string> Series => s_series.Value;

    /// <summary>
    /// Metric names a PromQL expression reads: every name followed by a label selector or a range, and every
    /// colon-bearing identifier (our names all carry the "dycoke:" prefix; PromQL functions and keywords never do).
    /// </summary>
    public static IReadOnlySet<string> NamesIn(string promql)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        string withoutStrings = QuotedString().Replace(promql, "\"\"");
        foreach (Match m in SelectorName().Matches(withoutStrings)) names.Add(m.Groups[1].Value);
        foreach (Match m in ColonName().Matches(withoutStrings)) names.Add(m.Value);
        // Label names inside a selector are followed by an operator, never by '{' or '[', so they are not matched.
        names.ExceptWith(["by", "without", "on", "ignoring", "group_left", "group_right"]);
        return names;
    }

    private static HashSet<string> Render()
    {
        string cache = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dycoke-deploy-tests-{Guid.NewGuid():N}");
        try
        {
            string text;
            var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--Model:CacheDirectory", cache, "--Model:Device", "cpu", "--Scheduler:KvCacheSlots", "1024"]);
            try
            {
                text = app.Services.GetRequiredService<ServerMetrics>().Render();
            }
            finally
            {
                app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            var series = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match m in TypeLine().Matches(text))
            {
                string name = m.Groups[1].Value;
                if (m.Groups[2].Value == "histogram") series.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                else series.Add(name);
            }
            return series;
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex QuotedString();

    [GeneratedRegex(@"(?<![A-Za-z0-9_:])([A-Za-z_:][A-Za-z0-9_:]*)\s*[{\[]")]
    private static partial Regex SelectorName();

    [GeneratedRegex(@"(?<![A-Za-z0-9_:])[A-Za-z_][A-Za-z0-9_]*:[A-Za-z0-9_:]+")]
    private static partial Regex ColonName();
}
