// The `selftest` verb: every IBackend op on CUDA against the CPU backend (see BackendSelfTest), printed as a table.
// Exit code 0 only when every case passes; 3 when no GPU is present, so a script can tell "skipped" from "failed".
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cuda;
using DyCoke.Tensors.Diagnostics;

namespace DyCoke.Bench;

internal static class SelfTestVerb
{
    public const int NoGpu = 3;

    public static int Run(TextWriter output)
    {
        if (!CudaDevice.TryProbe(out _, out string reason))
        {
            output.WriteLine($"selftest: no GPU to test ({reason})");
            return NoGpu;
        }
        using var cpu = new CpuBackend();
        using var gpu = new CudaBackend();
        output.WriteLine($"selftest: {gpu.Name} against {cpu.Name}");
        output.WriteLine($"libraries: {CudaLibraryResolver.Describe()}");
        var results = BackendSelfTest.Run(cpu, gpu);
        output.Write(BackendSelfTest.Format(results));
        return results.All(r => r.Passed) ? 0 : 1;
    }
}
