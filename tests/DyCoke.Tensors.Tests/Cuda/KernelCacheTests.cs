// Kernel discovery and cache keys, which decide what gets compiled and when a cached cubin is stale; no GPU needed.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

public sealed class KernelCacheTests
{
    [Fact]
    public void KernelNames_ExpandsTypedMacrosAndKeepsPlainNames()
    {
        const string source = """
            extern "C" __global__ void dyc_rms_norm_##SUFFIX(const TAG::T* x) {}
            extern "C" __global__ void dyc_argmax_f32(const float* x) {}
            __device__ void helper() {}
            """;
        Assert.Equal(["dyc_argmax_f32", "dyc_rms_norm_bf16", "dyc_rms_norm_f16", "dyc_rms_norm_f32"], KernelCache.KernelNames(source));
    }

    [Fact]
    public void KernelNames_OfEveryEmbeddedSource_AreNonEmptyAndUnique()
    {
        var all = new List<string>();
        foreach (string source in NvrtcCompiler.EmbeddedSourceNames())
        {
            var names = KernelCache.KernelNames(NvrtcCompiler.ReadEmbeddedSource(source)).ToList();
            Assert.True(names.Count > 0, $"{source} defines no dyc_ kernel");
            all.AddRange(names);
        }
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void CacheKey_ChangesWithSourceArchitectureAndVersion()
    {
        var v = new Version(12, 8);
        string key = KernelCache.CacheKey("a.cu", "src", "sm_90", v);
        Assert.Equal(64, key.Length);
        Assert.Equal(key, KernelCache.CacheKey("a.cu", "src", "sm_90", v));
        Assert.NotEqual(key, KernelCache.CacheKey("a.cu", "src2", "sm_90", v));
        Assert.NotEqual(key, KernelCache.CacheKey("a.cu", "src", "sm_80", v));
        Assert.NotEqual(key, KernelCache.CacheKey("a.cu", "src", "sm_90", new Version(13, 0)));
    }

    [Fact]
    public void Probe_WithoutDriver_ExplainsWhy()
    {
        // On a GPU host this reports the devices instead; either way the reason is never empty.
        bool available = CudaDevice.TryProbe(out int count, out string reason);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Equal(available, count > 0);
    }
}
