// The CUDA library search order and its failure reporting, checked on a machine without a GPU.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

public sealed class CudaLibraryResolverTests
{
    [Fact]
    public void SonameCandidates_NewestMajorFirst()
    {
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"], CudaLibraryResolver.SonameCandidates(CudaLibraryResolver.Nvrtc));
        Assert.Equal(["libcublas.so.13", "libcublas.so.12"], CudaLibraryResolver.SonameCandidates(CudaLibraryResolver.Cublas));
        Assert.Equal(["libcuda.so.1"], CudaLibraryResolver.SonameCandidates(CudaLibraryResolver.Driver));
        Assert.Empty(CudaLibraryResolver.SonameCandidates("libz"));
    }

    [Fact]
    public void SearchDirectories_OverrideThenLoaderThenCudaHomeThenWheels()
    {
        string venv = Directory.CreateTempSubdirectory("dycoke-venv").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(venv, "lib", "python3.12", "site-packages"));
            var env = new Dictionary<string, string>
            {
                [CudaLibraryResolver.LibDirVariable] = "/opt/override",
                ["CUDA_HOME"] = "/usr/local/cuda",
                ["VIRTUAL_ENV"] = venv,
            };
            var dirs = CudaLibraryResolver.SearchDirectories(k => env.GetValueOrDefault(k));
            Assert.Equal("/opt/override", dirs[0]);
            Assert.Equal("", dirs[1]);
            Assert.Equal("/usr/local/cuda/lib64", dirs[2]);
            string site = Path.Combine(venv, "lib", "python3.12", "site-packages");
            Assert.Equal(Path.Combine(site, "nvidia", "cu13", "lib"), dirs[3]);
            Assert.Contains(Path.Combine(site, "nvidia", "cublas", "lib"), dirs);
            Assert.Contains(Path.Combine(site, "nvidia", "cuda_nvrtc", "lib"), dirs);
        }
        finally
        {
            Directory.Delete(venv, recursive: true);
        }
    }

    [Fact]
    public void SearchDirectories_NoEnvironment_OnlyTheLoader()
    {
        Assert.Equal([""], CudaLibraryResolver.SearchDirectories(_ => null));
    }

    [Fact]
    public void TryLoad_UnknownLibrary_FailsWithReason()
    {
        Assert.False(CudaLibraryResolver.TryLoad("dycoke_nothing", out string? reason));
        Assert.Contains("could be loaded", reason);
    }

    [Fact]
    public void TryLoad_Nvrtc_ReportsTheFileItLoaded()
    {
        Assert.SkipUnless(NvrtcCompiler.IsAvailable(out _), "no NVRTC on this machine");
        Assert.True(CudaLibraryResolver.TryLoad(CudaLibraryResolver.Nvrtc, out string? path));
        Assert.Contains("libnvrtc.so.", path);
        Assert.Contains("dycoke_nvrtc = ", CudaLibraryResolver.Describe());
    }
}
