// The `selftest` command shared by the server executable and the GPU harness: every IBackend op on CUDA against the
// CPU backend, printed as a table. Exit code 0 only when every case passes; 3 when there is no GPU to test, so a
// script can tell "skipped" from "failed".
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cuda;

namespace DyCoke.Tensors.Diagnostics;

public static class CudaSelfTest
{
    public const int ExitPassed = 0;
    public const int ExitFailed = 1;
    public const int ExitNoGpu = 3;

    public static int Run(TextWriter output, int deviceOrdinal = 0)
    {
        if (!CudaDevice.TryProbe(out _, out string reason))
        {
            output.WriteLine($"selftest: no GPU to test ({reason})");
            return ExitNoGpu;
        }
        using var cpu = new CpuBackend();
        using var gpu = new CudaBackend(new CudaBackendOptions { DeviceOrdinal = deviceOrdinal });
        output.WriteLine($"selftest: {gpu.Name} against {cpu.Name}");
        output.WriteLine($"libraries: {CudaLibraryResolver.Describe()}");
        var results = BackendSelfTest.Run(cpu, gpu);
        output.Write(BackendSelfTest.Format(results));
        return results.All(r => r.Passed) ? ExitPassed : ExitFailed;
    }
}
