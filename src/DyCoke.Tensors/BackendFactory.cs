// Picks the compute backend from the configured device name: "cuda", "cpu", or "auto" (CUDA when a driver and a
// device are present, else the CPU with a logged reason). The only place that names both backend types.
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cuda;

namespace DyCoke.Tensors;

public static class BackendFactory
{
    /// <summary>
    /// Creates the backend for <paramref name="device"/> ("auto", "cpu", "cuda" or "cuda:N"). "auto" never fails for
    /// lack of a GPU: it reports why it fell back through <paramref name="log"/>. An explicit "cuda" does fail, with
    /// the reason, because silently serving on the CPU would be a surprise measured in orders of magnitude.
    /// </summary>
    public static IBackend Create(string device, Action<string> log, CpuBackendOptions? cpuOptions = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        string d = device.Trim().ToLowerInvariant();
        if (d == "cpu") return Cpu(log, cpuOptions);
        if (d == "auto")
        {
            if (!CudaDevice.TryProbe(out _, out string reason))
            {
                log($"device=auto: using the CPU backend because CUDA is not usable ({reason})");
                return Cpu(log, cpuOptions);
            }
            try
            {
                return Cuda(0, log);
            }
            catch (Exception e) when (e is CudaException or KernelCompileException or DllNotFoundException or EntryPointNotFoundException)
            {
                log($"device=auto: using the CPU backend because the CUDA backend failed to start ({e.Message})");
                return Cpu(log, cpuOptions);
            }
        }
        if (d == "cuda" || d.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int ordinal = 0;
            if (d.Length > 5 && !int.TryParse(d.AsSpan(5), out ordinal))
                throw new ArgumentException($"device '{device}': expected cuda:N with a device number");
            if (!CudaDevice.TryProbe(out _, out string reason))
                throw new InvalidOperationException($"device '{device}' was requested but CUDA is not usable: {reason}");
            return Cuda(ordinal, log);
        }
        throw new ArgumentException($"unknown device '{device}': use auto, cpu, cuda or cuda:N");
    }

    private static IBackend Cpu(Action<string> log, CpuBackendOptions? options)
    {
        var cpu = new CpuBackend(options);
        log($"compute backend: {cpu.Name}");
        return cpu;
    }

    private static IBackend Cuda(int ordinal, Action<string> log)
    {
        var cuda = new CudaBackend(new CudaBackendOptions { DeviceOrdinal = ordinal });
        log($"compute backend: {cuda.Name}; {CudaLibraryResolver.Describe()}");
        return cuda;
    }
}
