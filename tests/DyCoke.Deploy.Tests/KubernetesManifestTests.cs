// deploy/kubernetes: selectors that match, probes on /health at the container port, a GPU per pod, a grace period
// longer than preStop plus the configured drain, the ConfigMap and Secret wiring, the PDB, and the user the image runs as.
using System.Text.Json;
using YamlDotNet.RepresentationModel;
using Xunit;

namespace DyCoke.Deploy.Tests;

public class KubernetesManifestTests
{
    private const string Dir = "deploy/kubernetes";

    private static readonly Dictionary<string, YamlMappingNode> s_byKind = Directory
        .GetFiles(RepoFiles.Path(Dir), "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml")
        .SelectMany(f => Yaml.LoadAll($"{Dir}/{Path.GetFileName(f)}"))
        .ToDictionary(d => d.Str("kind"), StringComparer.Ordinal);

    private static YamlMappingNode Deployment => s_byKind["Deployment"];
    private static YamlMappingNode PodSpec => Deployment.Map("spec.template.spec");
    private static YamlMappingNode Container => Assert.Single(PodSpec.Maps("containers"));
    private static Dictionary<string, string> PodLabels => Deployment.Labels("spec.template.metadata.labels");

    [Fact]
    public void Manifests_AreTheExpectedKinds_WithApiVersionAndName()
    {
        Assert.Equal(
            new[] { "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Namespace", "PersistentVolumeClaim", "PodDisruptionBudget", "Service" },
            s_byKind.Keys.Order(StringComparer.Ordinal));
        foreach (var manifest in s_byKind.Values)
        {
            Assert.NotEmpty(manifest.Str("apiVersion"));
            Assert.NotEmpty(manifest.Str("metadata.name"));
        }
    }

    [Fact]
    public void DeploymentSelector_MatchesItsPodLabels()
    {
        var selector = Deployment.Labels("spec.selector.matchLabels");
        Assert.NotEmpty(selector);
        Assert.All(selector, kv => Assert.Equal(kv.Value, PodLabels.GetValueOrDefault(kv.Key)));
    }

    [Theory]
    [InlineData("Service", "spec.selector")]
    [InlineData("PodDisruptionBudget", "spec.selector.matchLabels")]
    public void Selector_SelectsTheDeploymentsPods(string kind, string path)
    {
        var selector = s_byKind[kind].Labels(path);
        Assert.NotEmpty(selector);
        Assert.All(selector, kv => Assert.Equal(kv.Value, PodLabels.GetValueOrDefault(kv.Key)));
    }

    [Fact]
    public void Service_TargetsTheContainersHttpPort_WithoutStickySessions()
    {
        var port = Assert.Single(s_byKind["Service"].Maps("spec.ports"));
        var containerPort = Assert.Single(Container.Maps("ports"), p => p.Str("name") == port.Str("targetPort"));
        Assert.Equal(ImagePort(), containerPort.Str("containerPort"));
        Assert.Null(s_byKind["Service"].Map("spec").Find("sessionAffinity"));
    }

    [Theory]
    [InlineData("startupProbe")]
    [InlineData("readinessProbe")]
    [InlineData("livenessProbe")]
    public void Probe_GetsHealthOnTheContainerPort(string probe)
    {
        var get = Container.Map($"{probe}.httpGet");
        Assert.Equal("/health", get.Str("path"));
        string port = get.Str("port");
        Assert.Contains(Container.Maps("ports"), p => p.Str("name") == port || p.Str("containerPort") == port);
    }

    [Fact]
    public void StartupProbe_AllowsLongModelLoads_AndLivenessCannotFireDuringADrain()
    {
        var startup = Container.Map("startupProbe");
        Assert.True(startup.Int("periodSeconds") * startup.Int("failureThreshold") >= 600, "start-up must allow at least 10 minutes");
        var liveness = Container.Map("livenessProbe");
        // /health answers 503 while draining; liveness must not restart a pod that is finishing its streams.
        Assert.True(liveness.Int("periodSeconds") * liveness.Int("failureThreshold") >= DrainSeconds());
    }

    [Fact]
    public void Container_LimitsOneNvidiaGpu_AndRequestsTheSame()
    {
        Assert.Equal("1", Gpu("limits"));
        Assert.Equal(Gpu("limits"), Gpu("requests"));
        Assert.True(Container.Map("resources.limits").Find("memory") is not null, "a memory limit keeps the KV pool sizing honest");
    }

    [Fact]
    public void TerminationGrace_ExceedsPreStopPlusTheConfiguredDrain()
    {
        var preStop = Container.Strings("lifecycle.preStop.exec.command").ToArray();
        Assert.Equal("sleep", preStop[0]);
        int sleep = int.Parse(preStop[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(PodSpec.Int("terminationGracePeriodSeconds") > sleep + DrainSeconds());
    }

    [Fact]
    public void ConfigMap_IsMountedAsTheProductionSettings_AndNamesOnlyExistingSettings()
    {
        var mount = Assert.Single(Container.Maps("volumeMounts"), m => m.Str("mountPath") == "/app/appsettings.Production.json");
        Assert.Equal("appsettings.Production.json", mount.Str("subPath"));
        var volume = Assert.Single(PodSpec.Maps("volumes"), v => v.Str("name") == mount.Str("name"));
        Assert.Equal(s_byKind["ConfigMap"].Str("metadata.name"), volume.Str("configMap.name"));
        Assert.Contains(Container.Maps("env"), e => e.Str("name") == "ASPNETCORE_ENVIRONMENT" && e.Str("value") == "Production");

        using var defaults = JsonDocument.Parse(RepoFiles.Read("src/DyCoke.Server/appsettings.json"));
        using var overrides = JsonDocument.Parse(Settings());
        foreach (var section in overrides.RootElement.EnumerateObject())
        {
            Assert.True(defaults.RootElement.TryGetProperty(section.Name, out var known), $"unknown section {section.Name}");
            foreach (var key in section.Value.EnumerateObject())
                Assert.True(known.TryGetProperty(key.Name, out _), $"unknown setting {section.Name}:{key.Name}");
        }
    }

    [Fact]
    public void ApiKeys_ComeFromTheGeneratedSecret()
    {
        string secret = Assert.Single(Container.Maps("envFrom")).Str("secretRef.name");
        var kustomization = Yaml.Load($"{Dir}/kustomization.yaml");
        var generator = Assert.Single(kustomization.Maps("secretGenerator"));
        Assert.Equal(secret, generator.Str("name"));
        string envFile = Assert.Single(generator.Strings("envs"));
        // The real file is git-ignored; the example shows its format.
        Assert.Contains(envFile, RepoFiles.Read($"{Dir}/.gitignore").Split('\n').Select(l => l.Trim()));
        var keys = RepoFiles.Read($"{Dir}/{envFile}.example").Split('\n').Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#')).ToArray();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Matches(@"^DYCOKE__Server__ApiKeys__\d+=", k));
    }

    [Fact]
    public void Volumes_ReferenceExistingObjects_AndModelsAreReadOnly()
    {
        var volumes = PodSpec.Maps("volumes").ToDictionary(v => v.Str("name"));
        foreach (var mount in Container.Maps("volumeMounts")) Assert.True(volumes.ContainsKey(mount.Str("name")), $"no volume {mount.Str("name")}");
        var models = Assert.Single(Container.Maps("volumeMounts"), m => m.Str("mountPath") == "/models");
        Assert.Equal("true", models.Str("readOnly"));
        Assert.Equal(s_byKind["PersistentVolumeClaim"].Str("metadata.name"), volumes[models.Str("name")].Str("persistentVolumeClaim.claimName"));
        // The image's writable paths must be volumes when the root filesystem is read-only.
        Assert.Equal("true", Container.Str("securityContext.readOnlyRootFilesystem"));
        Assert.Contains(Container.Maps("volumeMounts"), m => m.Str("mountPath") == "/var/cache/dycoke");
        Assert.Contains(Container.Maps("volumeMounts"), m => m.Str("mountPath") == "/tmp");
    }

    [Fact]
    public void Pod_RunsAsTheImagesUser()
    {
        string user = Dockerfile.Parse(RepoFiles.Read("Dockerfile")).Stage("cuda").Single("USER");
        Assert.Equal(user.Split(':')[0], PodSpec.Str("securityContext.runAsUser"));
        Assert.Equal(user.Split(':')[1], PodSpec.Str("securityContext.runAsGroup"));
        Assert.Equal("true", PodSpec.Str("securityContext.runAsNonRoot"));
    }

    [Fact]
    public void Kustomization_ListsEveryManifest_AndTheImageTheDeploymentUses()
    {
        var kustomization = Yaml.Load($"{Dir}/kustomization.yaml");
        var files = Directory.GetFiles(RepoFiles.Path(Dir), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");
        Assert.Equal(files.Order(StringComparer.Ordinal), kustomization.Strings("resources").Order(StringComparer.Ordinal));
        string image = Container.Str("image").Split(':')[0];
        Assert.Contains(kustomization.Maps("images"), i => i.Str("name") == image);
        Assert.Equal(s_byKind["Namespace"].Str("metadata.name"), kustomization.Str("namespace"));
    }

    private static string Gpu(string section) => Assert.IsType<YamlScalarNode>(Container.Map($"resources.{section}").Find("nvidia.com/gpu")).Value!;

    private static string ImagePort() => Dockerfile.Parse(RepoFiles.Read("Dockerfile")).Stage("cuda").Single("EXPOSE");

    // Keys with dots ("appsettings.Production.json", "nvidia.com/gpu") cannot go through the dotted-path helpers.
    private static string Settings() => Assert.IsType<YamlScalarNode>(s_byKind["ConfigMap"].Map("data").Find("appsettings.Production.json")).Value!;

    /// <summary>Server:DrainSeconds as the ConfigMap sets it.</summary>
    internal static double DrainSeconds()
    {
        using var json = JsonDocument.Parse(Settings());
        return json.RootElement.GetProperty("Server").GetProperty("DrainSeconds").GetDouble();
    }
}
