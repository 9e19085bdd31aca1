// docker-compose.yml: the server with a GPU reservation, health check, volumes, port, restart policy and a stop grace
// period longer than the drain; the optional monitoring services wired to /metrics and the provisioned dashboard.
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using Xunit;

namespace DyCoke.Deploy.Tests;

public class ComposeTests
{
    private static readonly YamlMappingNode s_compose = Yaml.Load("docker-compose.yml");
    private static YamlMappingNode Server => s_compose.Map("services.server");

    [Fact]
    public void Server_ReservesOneNvidiaGpu()
    {
        var device = Assert.Single(Server.Maps("deploy.resources.reservations.devices"));
        Assert.Equal("nvidia", device.Str("driver"));
        Assert.Contains("gpu", device.Strings("capabilities"));
        Assert.True(device.Find("count") is not null || device.Find("device_ids") is not null, "the reservation names no count or device ids");
    }

    [Fact]
    public void Server_BuildsTheDockerfileTarget_CudaByDefault()
    {
        Assert.Equal(".", Server.Str("build.context"));
        Assert.Equal("${DYCOKE_TARGET:-cuda}", Server.Str("build.target"));
        var stages = Dockerfile.Parse(RepoFiles.Read("Dockerfile")).Stages.Select(s => s.Name).ToArray();
        Assert.Contains("cuda", stages);
        Assert.Equal("cpu", Yaml.Load("deploy/compose/cpu.yml").Str("services.server.build.target"));
        Assert.Contains("cpu", stages);
    }

    [Fact]
    public void CpuOverride_ResetsTheGpuReservation()
    {
        var devices = Yaml.Load("deploy/compose/cpu.yml").Seq("services.server.deploy.resources.reservations.devices");
        Assert.Equal("!reset", devices.Tag.Value);
        Assert.Empty(devices.Children);
    }

    [Fact]
    public void Server_HealthCheckProbesHealthOnTheContainerPort_WithALongStartPeriod()
    {
        string[] test = Server.Strings("healthcheck.test").ToArray();
        Assert.Equal("CMD", test[0]);
        Assert.Equal($"http://127.0.0.1:{ContainerPort()}/health", test[^1]);
        Assert.True(Seconds(Server.Str("healthcheck.start_period")) >= 300, "start_period must cover a model load");
        Assert.True(Server.Int("healthcheck.retries") >= 1);
    }

    [Fact]
    public void Server_PublishesTheImagesExposedPort()
    {
        string port = Dockerfile.Parse(RepoFiles.Read("Dockerfile")).Stage("cuda").Single("EXPOSE");
        Assert.Equal(port, ContainerPort());
    }

    [Fact]
    public void Server_MountsModelsReadOnly_AndTheCacheAsANamedVolume()
    {
        string[] volumes = Server.Strings("volumes").ToArray();
        Assert.Contains(volumes, v => v.EndsWith(":/models:ro", StringComparison.Ordinal));
        string cache = Assert.Single(volumes, v => v.EndsWith(":/var/cache/dycoke", StringComparison.Ordinal));
        string name = cache.Split(':')[0];
        Assert.NotNull(s_compose.Map("volumes").Find(name));
    }

    [Fact]
    public void Server_RestartsAndStopsMoreSlowlyThanItDrains()
    {
        Assert.Contains(Server.Str("restart"), new[] { "always", "unless-stopped", "on-failure" });
        double drain = double.Parse(Server.Str("environment.DYCOKE__Server__DrainSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Seconds(Server.Str("stop_grace_period")) > drain, "stop_grace_period must exceed Server:DrainSeconds");
    }

    [Fact]
    public void Server_EnvironmentNamesOnlyExistingSettings()
    {
        // DYCOKE__Section__Key must name a key of appsettings.json, or the setting silently does nothing.
        var appsettings = System.Text.Json.JsonDocument.Parse(RepoFiles.Read("src/DyCoke.Server/appsettings.json")).RootElement;
        foreach (var (key, _) in Server.Labels("environment"))
        {
            string[] parts = key.Split("__");
            Assert.Equal("DYCOKE", parts[0]);
            Assert.True(appsettings.TryGetProperty(parts[1], out var section), $"{key}: no section {parts[1]}");
            Assert.True(section.TryGetProperty(parts[2], out _), $"{key}: no key {parts[1]}:{parts[2]}");
        }
    }

    [Fact]
    public void Monitoring_IsAnOptionalProfile_ScrapingTheServersMetrics()
    {
        foreach (string service in new[] { "prometheus", "grafana" })
            Assert.Equal(["monitoring"], s_compose.Strings($"services.{service}.profiles"));
        Assert.False(Server.Children.ContainsKey(new YamlScalarNode("profiles")), "the server must start without a profile");

        string config = Assert.Single(s_compose.Strings("services.prometheus.volumes"), v => v.EndsWith(":/etc/prometheus/prometheus.yml:ro", StringComparison.Ordinal));
        var job = Assert.Single(Yaml.Load(config.Split(':')[0].TrimStart('.', '/')).Maps("scrape_configs"));
        Assert.Equal("/metrics", job.Str("metrics_path"));
        string target = Assert.Single(Assert.Single(job.Maps("static_configs")).Strings("targets"));
        Assert.Equal($"server:{ContainerPort()}", target);
    }

    [Fact]
    public void Grafana_ProvisionsTheDashboardDirectory_AndAPrometheusDataSource()
    {
        string[] volumes = s_compose.Strings("services.grafana.volumes").ToArray();
        string provisioning = Assert.Single(volumes, v => v.Contains(":/etc/grafana/provisioning", StringComparison.Ordinal)).Split(':')[0].TrimStart('.', '/');
        string dashboards = Assert.Single(volumes, v => v.Contains(":/var/lib/grafana/dashboards", StringComparison.Ordinal)).Split(':')[0].TrimStart('.', '/');
        Assert.True(File.Exists(RepoFiles.Path(dashboards + "/dycoke-server.json")));
        var provider = Assert.Single(Yaml.Load(provisioning + "/dashboards/dycoke.yml").Maps("providers"));
        Assert.Equal("/var/lib/grafana/dashboards", provider.Str("options.path"));
        var source = Assert.Single(Yaml.Load(provisioning + "/datasources/prometheus.yml").Maps("datasources"));
        Assert.Equal("prometheus", source.Str("type"));
        Assert.Equal("http://prometheus:9090", source.Str("url"));
    }

    [Fact]
    public void EveryBindMountedRepositoryPath_Exists()
    {
        foreach (var service in s_compose.Map("services").Children.Values.Cast<YamlMappingNode>())
        {
            if (service.Find("volumes") is null) continue;
            foreach (string volume in service.Strings("volumes").Where(v => v.StartsWith("./", StringComparison.Ordinal)))
            {
                string path = volume.Split(':')[0][2..];
                Assert.True(File.Exists(RepoFiles.Path(path)) || Directory.Exists(RepoFiles.Path(path)), $"{volume}: {path} is missing");
            }
        }
    }

    private static string ContainerPort()
    {
        string mapping = Assert.Single(Server.Strings("ports"));
        return mapping.Split(':')[^1];
    }

    private static double Seconds(string duration)
    {
        var m = Regex.Match(duration, @"^(\d+)(s|m|h)$");
        Assert.True(m.Success, $"unsupported duration {duration}");
        return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * m.Groups[2].Value switch { "s" => 1, "m" => 60, _ => 3600 };
    }
}
