// The Dockerfile: base images as build arguments with real defaults, a cpu and a cuda target with identical steps,
// and in each a non-root user, the health check, the port, the volumes and the environment the server reads.
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace DyCoke.Deploy.Tests;

public class DockerfileTests
{
    private static readonly Dockerfile s_file = Dockerfile.Parse(RepoFiles.Read("Dockerfile"));

    public static TheoryData<string> RuntimeTargets => new() { "cpu", "cuda" };

    [Theory]
    [InlineData("SDK_IMAGE", "mcr.microsoft.com/dotnet/sdk:10.0")]
    [InlineData("CUDA_IMAGE", "nvidia/cuda:")]
    [InlineData("CPU_IMAGE", "ubuntu:")]
    public void BaseImageArgument_HasRealDefault_AndIsUsedByFrom(string arg, string expectedPrefix)
    {
        Assert.True(s_file.GlobalArgs.TryGetValue(arg, out string? value), $"no global ARG {arg}");
        Assert.StartsWith(expectedPrefix, value);
        Assert.Matches(@"^[a-z0-9./-]+(:[A-Za-z0-9._-]+)$", value);
        Assert.Contains(s_file.Stages, s => s.BaseImage == "${" + arg + "}");
    }

    [Fact]
    public void CudaImageDefault_IsARuntimeImage_WithCublasAndNvrtc()
    {
        // The "runtime" flavour carries cuBLAS and NVRTC; "base" lacks them and "devel" is needlessly large.
        Assert.Matches(@"^nvidia/cuda:1[2-9]\.\d+\.\d+-runtime-ubuntu\d\d\.\d\d$", s_file.GlobalArgs["CUDA_IMAGE"]);
    }

    [Fact]
    public void Stages_BuildThenCpuThenCuda_SoTheDefaultTargetIsCuda()
    {
        Assert.Equal(["build", "cpu", "cuda"], s_file.Stages.Select(s => s.Name));
        Assert.Equal("${CPU_IMAGE}", s_file.Stage("cpu").BaseImage);
        Assert.Equal("${CUDA_IMAGE}", s_file.Stage("cuda").BaseImage);
    }

    [Fact]
    public void CpuAndCudaTargets_HaveIdenticalSteps()
    {
        Assert.Equal(s_file.Stage("cpu").Instructions, s_file.Stage("cuda").Instructions);
    }

    [Theory]
    [MemberData(nameof(RuntimeTargets))]
    public void RuntimeTarget_RunsAsTheNonRootUserTheSetupScriptCreates(string target)
    {
        string user = s_file.Stage(target).Single("USER");
        string uid = user.Split(':')[0];
        Assert.NotEqual("0", uid);
        Assert.NotEqual("root", uid);
        string setup = RepoFiles.Read("deploy/docker/runtime-setup.sh");
        Assert.Matches($@"useradd [^\n]*--uid {uid}\b", setup);
        Assert.Matches($@"groupadd [^\n]*--gid {user.Split(':')[1]}\b", setup);
    }

    [Theory]
    [MemberData(nameof(RuntimeTargets))]
    public void RuntimeTarget_ExposesThePortKestrelListensOn_AndHealthChecksIt(string target)
    {
        var stage = s_file.Stage(target);
        string port = stage.Environment()["ASPNETCORE_HTTP_PORTS"];
        Assert.Equal(port, stage.Single("EXPOSE"));
        string check = stage.Single("HEALTHCHECK");
        Assert.Matches(@"--start-period=\d+m", check);
        Assert.Contains("CMD curl -fsS", check);
        Assert.Contains("http://127.0.0.1:${ASPNETCORE_HTTP_PORTS}/health", check);
        Assert.Contains("curl", RepoFiles.Read("deploy/docker/runtime-setup.sh"));
    }

    [Theory]
    [MemberData(nameof(RuntimeTargets))]
    public void RuntimeTarget_DeclaresModelAndCacheVolumes_AndPointsTheWritableCachesIntoOne(string target)
    {
        var stage = s_file.Stage(target);
        string volumes = stage.Single("VOLUME");
        Assert.Contains("\"/models\"", volumes);
        Assert.Contains("\"/var/cache/dycoke\"", volumes);
        var env = stage.Environment();
        Assert.StartsWith("/var/cache/dycoke/", env["DYCOKE_KERNEL_CACHE"]);
        Assert.StartsWith("/var/cache/dycoke/", env["DYCOKE__Model__CacheDirectory"]);
        // The set-up script must hand that volume to the user before VOLUME freezes its content.
        Assert.Contains("chown -R dycoke:dycoke /var/cache/dycoke", RepoFiles.Read("deploy/docker/runtime-setup.sh"));
    }

    [Theory]
    [MemberData(nameof(RuntimeTargets))]
    public void RuntimeTarget_InstallsFfmpegAndOpenBlas_AndStartsTheApphost(string target)
    {
        var stage = s_file.Stage(target);
        Assert.Contains("sh /usr/local/lib/dycoke/runtime-setup.sh", stage.All("RUN"));
        string setup = RepoFiles.Read("deploy/docker/runtime-setup.sh");
        Assert.Matches(@"apt-get install [^\n]*\bffmpeg\b", setup);
        Assert.Matches(@"apt-get install [^\n]*\blibopenblas0-pthread\b", setup);
        Assert.Equal("[\"/app/dycoke-server\"]", stage.Single("ENTRYPOINT"));
        Assert.Equal("/usr/share/dotnet", stage.Environment()["DOTNET_ROOT"]);
        Assert.Contains("--from=build /out/dotnet /usr/share/dotnet", stage.All("COPY"));
        // The apphost's name is the server's assembly name.
        var server = XDocument.Load(RepoFiles.Path("src/DyCoke.Server/DyCoke.Server.csproj"));
        Assert.Equal("dycoke-server", server.Descendants("AssemblyName").Single().Value);
    }

    [Fact]
    public void BuildStage_PublishesReleaseLinuxX64ReadyToRun()
    {
        string publish = Assert.Single(s_file.Stage("build").All("RUN"), r => r.StartsWith("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("src/DyCoke.Server/DyCoke.Server.csproj", publish);
        Assert.Contains("-c Release", publish);
        Assert.Contains("-r linux-x64", publish);
        Assert.Contains("-p:PublishReadyToRun=true", publish);
        Assert.Contains("-o /out/app", publish);
        // Restore must use the same runtime identifier and ReadyToRun setting, or --no-restore publish fails.
        string restore = Assert.Single(s_file.Stage("build").All("RUN"), r => r.StartsWith("dotnet restore", StringComparison.Ordinal));
        Assert.Contains("-r linux-x64", restore);
        Assert.Contains("-p:PublishReadyToRun=true", restore);
    }

    [Fact]
    public void BuildStage_CopiesEveryProjectTheServerDependsOn_BeforeRestore()
    {
        var copied = s_file.Stage("build").All("COPY")
            .Select(c => c.Split(' ')[0])
            .Where(p => p.EndsWith(".csproj", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(["src/DyCoke.Server/DyCoke.Server.csproj"]);
        while (pending.Count > 0)
        {
            string project = pending.Pop();
            if (!needed.Add(project)) continue;
            string dir = Path.GetDirectoryName(project)!;
            foreach (var reference in XDocument.Load(RepoFiles.Path(project)).Descendants("ProjectReference"))
            {
                string full = Path.GetFullPath(Path.Combine(RepoFiles.Path(dir), reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(RepoFiles.Root, full).Replace('\\', '/'));
            }
        }
        Assert.Equal(needed.Order(StringComparer.Ordinal), copied.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryCopiedContextPath_ExistsAndIsAllowedByDockerignore()
    {
        string[] ignore = RepoFiles.Read(".dockerignore").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        Assert.Equal("*", ignore[0]);
        var allowed = ignore.Where(l => l.StartsWith('!')).Select(l => l[1..].TrimEnd('/')).ToArray();
        foreach (var stage in s_file.Stages)
        {
            foreach (string copy in stage.All("COPY").Where(c => !c.StartsWith("--from", StringComparison.Ordinal)))
            {
                string[] words = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                foreach (string source in words[..^1])
                {
                    Assert.True(File.Exists(RepoFiles.Path(source)) || Directory.Exists(RepoFiles.Path(source)), $"COPY source {source} does not exist");
                    string path = source.TrimEnd('/');
                    Assert.True(allowed.Any(a => path == a || path.StartsWith(a + "/", StringComparison.Ordinal)),
                        $"COPY source {source} is excluded by .dockerignore");
                }
            }
        }
    }
}
