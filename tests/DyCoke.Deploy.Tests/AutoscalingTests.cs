// The autoscalers scale the Deployment on a metric the server really exports: hpa.yaml through the Prometheus
// adapter's renaming rule, or extras/keda-scaledobject.yaml querying Prometheus directly; PodMonitor selects the pods.
using System.Text.RegularExpressions;
using Xunit;

namespace DyCoke.Deploy.Tests;

public class AutoscalingTests
{
    private const string Dir = "deploy/kubernetes";

    private static readonly YamlDotNet.RepresentationModel.YamlMappingNode s_deployment = Yaml.Load($"{Dir}/deployment.yaml");

    [Fact]
    public void Hpa_TargetsTheDeployment_WithSaneBounds()
    {
        var hpa = Yaml.Load($"{Dir}/hpa.yaml");
        Assert.Equal("autoscaling/v2", hpa.Str("apiVersion"));
        Assert.Equal("apps/v1", hpa.Str("spec.scaleTargetRef.apiVersion"));
        Assert.Equal("Deployment", hpa.Str("spec.scaleTargetRef.kind"));
        Assert.Equal(s_deployment.Str("metadata.name"), hpa.Str("spec.scaleTargetRef.name"));
        int min = hpa.Int("spec.minReplicas"), max = hpa.Int("spec.maxReplicas");
        Assert.InRange(min, 1, max);
        // With maxUnavailable 1 a single replica would go to zero during a node drain.
        Assert.True(min >= 2, "minReplicas below 2 leaves no replica during a voluntary disruption");
    }

    [Fact]
    public void HpaMetric_IsTheAdaptersNameForTheServersWaitingRequestsGauge()
    {
        var hpa = Yaml.Load($"{Dir}/hpa.yaml");
        var metric = Assert.Single(hpa.Maps("spec.metrics"));
        Assert.Equal("Pods", metric.Str("type"));
        string hpaName = metric.Str("pods.metric.name");

        var rule = Assert.Single(Yaml.Load($"{Dir}/extras/prometheus-adapter-values.yaml").Maps("rules.custom"));
        string series = Assert.Single(ExportedMetrics.NamesIn(rule.Str("seriesQuery")));
        Assert.Contains(series, ExportedMetrics.Series);
        Assert.Equal("dycoke:num_requests_waiting", series);
        // The adapter's "as" uses ${1}; .NET's replacement syntax is the same.
        string exposed = Regex.Replace(series, rule.Str("name.matches"), rule.Str("name.as"));
        Assert.Equal(hpaName, exposed);
        Assert.Equal("namespace", rule.Str("resources.overrides.namespace.resource"));
        Assert.Equal("pod", rule.Str("resources.overrides.pod.resource"));
    }

    [Fact]
    public void Keda_QueriesAnExportedMetric_ForTheDeployment()
    {
        var scaled = Yaml.Load($"{Dir}/extras/keda-scaledobject.yaml");
        Assert.Equal(s_deployment.Str("metadata.name"), scaled.Str("spec.scaleTargetRef.name"));
        var trigger = Assert.Single(scaled.Maps("spec.triggers"));
        Assert.Equal("prometheus", trigger.Str("type"));
        var names = ExportedMetrics.NamesIn(trigger.Str("metadata.query"));
        Assert.Equal(["dycoke:num_requests_waiting"], names);
        Assert.Contains($"namespace=\"{Yaml.Load($"{Dir}/kustomization.yaml").Str("namespace")}\"", trigger.Str("metadata.query"));
    }

    [Fact]
    public void PodMonitor_SelectsThePods_OnANamedContainerPort()
    {
        var monitor = Yaml.Load($"{Dir}/extras/podmonitor.yaml");
        var labels = s_deployment.Labels("spec.template.metadata.labels");
        Assert.All(monitor.Labels("spec.selector.matchLabels"), kv => Assert.Equal(kv.Value, labels.GetValueOrDefault(kv.Key)));
        var endpoint = Assert.Single(monitor.Maps("spec.podMetricsEndpoints"));
        Assert.Equal("/metrics", endpoint.Str("path"));
        var container = Assert.Single(s_deployment.Maps("spec.template.spec.containers"));
        Assert.Contains(container.Maps("ports"), p => p.Str("name") == endpoint.Str("port"));
        var annotations = s_deployment.Labels("spec.template.metadata.annotations");
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
        Assert.Contains(container.Maps("ports"), p => p.Str("containerPort") == annotations["prometheus.io/port"]);
    }
}
