// The `kernels` verb: compiles every embedded CUDA kernel with this host's NVRTC and prints the image sizes — a
// smoke test of the (possibly trimmed) binary's embedded sources and NVRTC binding that needs no GPU.
using DyCoke.Tensors.Cuda;

namespace DyCoke.Bench;

internal static class KernelsVerb
{
    public static int Run(string[] args, TextWriter output)
    {
        string arch = new BenchArgs(args, "arch").String("arch") ?? "sm_90";
        if (!NvrtcCompiler.IsAvailable(out string? detail))
        {
            output.WriteLine($"kernels: no NVRTC ({detail})");
            return 3;
        }
        output.WriteLine($"NVRTC {NvrtcCompiler.NvrtcVersion()} ({CudaLibraryResolver.Describe()}), target {arch}");
        int failed = 0;
        foreach (string source in NvrtcCompiler.EmbeddedSourceNames())
        {
            try
            {
                var k = NvrtcCompiler.Compile(source, NvrtcCompiler.ReadEmbeddedSource(source), arch);
                output.WriteLine($"  {source,-24} {k.Image.Length,9:N0} bytes  {string.Join(" ", KernelCache.KernelNames(NvrtcCompiler.ReadEmbeddedSource(source)))}");
            }
            catch (KernelCompileException e)
            {
                failed++;
                output.WriteLine($"  {source,-24} FAILED: {e.Message}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
