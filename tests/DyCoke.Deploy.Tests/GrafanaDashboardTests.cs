// deploy/grafana/dashboards: every query reads only series the server exports, and the dashboard covers what
// operators watch (TTFT, inter-token latency, throughput, KV usage, queue, DyCoke token savings).
using System.Text.Json;
using Xunit;

namespace DyCoke.Deploy.Tests;

public class GrafanaDashboardTests
{
    private static readonly JsonElement s_dashboard = JsonDocument.Parse(RepoFiles.Read("deploy/grafana/dashboards/dycoke-server.json")).RootElement;

    private static IEnumerable<JsonElement> Panels(JsonElement container) =>
        container.TryGetProperty("panels", out var panels)
            ? panels.EnumerateArray().SelectMany(p => new[] { p }.Concat(Panels(p)))
            : [];

    private static string[] Expressions() => Panels(s_dashboard)
        .Where(p => p.TryGetProperty("targets", out _))
        .SelectMany(p => p.GetProperty("targets").EnumerateArray())
        .Select(t => t.GetProperty("expr").GetString()!)
        .ToArray();

    [Fact]
    public void EveryQuery_ReadsOnlyExportedSeries()
    {
        string[] expressions = Expressions();
        Assert.NotEmpty(expressions);
        foreach (string expr in expressions)
        {
            var names = ExportedMetrics.NamesIn(expr);
            Assert.True(names.Count > 0, $"no metric in: {expr}");
            foreach (string name in names) Assert.True(ExportedMetrics.Series.Contains(name), $"'{name}' is not exported by the server (in: {expr})");
        }
    }

    [Fact]
    public void TemplateVariables_QueryExportedSeries_AndPanelsUseTheDataSourceVariable()
    {
        foreach (var variable in s_dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query"))
        {
            string query = variable.GetProperty("definition").GetString()!;
            Assert.All(ExportedMetrics.NamesIn(query), n => Assert.Contains(n, ExportedMetrics.Series));
        }
        Assert.Contains(s_dashboard.GetProperty("templating").GetProperty("list").EnumerateArray(),
            v => v.GetProperty("type").GetString() == "datasource" && v.GetProperty("name").GetString() == "datasource");
        foreach (var panel in Panels(s_dashboard).Where(p => p.GetProperty("type").GetString() != "row"))
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
    }

    [Theory]
    [InlineData("dycoke:time_to_first_token_seconds_bucket")]
    [InlineData("dycoke:inter_token_latency_seconds_bucket")]
    [InlineData("dycoke:generation_tokens_total")]
    [InlineData("dycoke:kv_cache_usage_perc")]
    [InlineData("dycoke:num_requests_waiting")]
    [InlineData("dycoke:num_requests_running")]
    [InlineData("dycoke:video_tokens_before_ttm_total")]
    [InlineData("dycoke:video_tokens_after_ttm_total")]
    public void Dashboard_ShowsWhatOperatorsWatch(string series)
    {
        Assert.Contains(series, ExportedMetrics.Series);
        Assert.Contains(Expressions(), e => ExportedMetrics.NamesIn(e).Contains(series));
    }

    [Fact]
    public void Panels_HaveUniqueIds_AndFitTheGrid()
    {
        var panels = Panels(s_dashboard).ToArray();
        var ids = panels.Select(p => p.GetProperty("id").GetInt32()).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        foreach (var panel in panels)
        {
            var grid = panel.GetProperty("gridPos");
            Assert.InRange(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), 1, 24);
        }
        Assert.Equal("dycoke-server", s_dashboard.GetProperty("uid").GetString());
    }

    [Fact]
    public void NamesIn_FindsSelectorsAndColonNames_ButNotFunctionsOrLabels()
    {
        var names = ExportedMetrics.NamesIn("histogram_quantile(0.9, sum by (le) (rate(foo_bucket{job=~\"a:b\"}[5m:1m]))) + label_values(dycoke:x, instance)");
        Assert.Equal(new[] { "dycoke:x", "foo_bucket" }, names.Order(StringComparer.Ordinal));
    }
}
