// Compiles every embedded CUDA kernel with whatever NVRTC this machine has (Debian's NVRTC 11.8 in CI), for the
// Ampere and Hopper targets, so a kernel that does not compile fails CI even though CI has no GPU.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

public sealed class KernelCompileTests
{
    public static TheoryData<string, string> SourcesAndArchitectures()
    {
        var data = new TheoryData<string, string>();
        foreach (string source in NvrtcCompiler.EmbeddedSourceNames())
            foreach (string arch in (string[])["compute_80", "compute_90", "sm_90"])
                data.Add(source, arch);
        return data;
    }

    [Fact]
    public void EmbeddedSources_AreFound()
    {
        Assert.Contains("rms_norm.cu", NvrtcCompiler.EmbeddedSourceNames());
    }

    [Theory]
    [MemberData(nameof(SourcesAndArchitectures))]
    public void Compile_EveryKernel_Succeeds(string source, string architecture)
    {
        Assert.SkipUnless(NvrtcCompiler.IsAvailable(out string? detail), $"no NVRTC on this machine: {detail}");
        var result = NvrtcCompiler.Compile(source, NvrtcCompiler.ReadEmbeddedSource(source), architecture);
        Assert.NotEmpty(result.Image);
        Assert.Equal(architecture.StartsWith("sm_"), result.IsCubin);
        if (!result.IsCubin)
        {
            string ptx = System.Text.Encoding.ASCII.GetString(result.Image);
            Assert.Contains(".entry dyc_", ptx); // extern "C" names survive unmangled
        }
    }

    [Fact]
    public void Compile_BrokenSource_ThrowsWithLog()
    {
        Assert.SkipUnless(NvrtcCompiler.IsAvailable(out string? detail), $"no NVRTC on this machine: {detail}");
        var e = Assert.Throws<KernelCompileException>(() =>
            NvrtcCompiler.Compile("broken.cu", "extern \"C\" __global__ void k() { undefined_symbol(); }", "compute_80"));
        Assert.Contains("undefined_symbol", e.Message);
        Assert.Contains("broken.cu", e.Message);
    }

    [Fact]
    public void Nvrtc_ReportsVersionAndArchitectures()
    {
        Assert.SkipUnless(NvrtcCompiler.IsAvailable(out string? detail), $"no NVRTC on this machine: {detail}");
        Assert.True(NvrtcCompiler.NvrtcVersion().Major >= 11);
        Assert.Contains(80, NvrtcCompiler.SupportedArchitectures());
    }
}
