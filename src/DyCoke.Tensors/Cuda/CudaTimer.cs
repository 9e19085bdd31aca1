// GPU-side timing with CUDA events on the compute stream: what the GPU benchmarks report, free of host jitter.
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed class CudaTimer : IDisposable
{
    private readonly CudaDevice _device;
    private readonly nint _start;
    private readonly nint _stop;

    public CudaTimer(CudaDevice device)
    {
        _device = device;
        device.MakeCurrent();
        CudaException.Check(CuDriver.EventCreate(out _start, CuDriver.EventDefault), "cuEventCreate");
        CudaException.Check(CuDriver.EventCreate(out _stop, CuDriver.EventDefault), "cuEventCreate");
    }

    /// <summary>Milliseconds per call of <paramref name="body"/>, averaged over <paramref name="reps"/> queued calls after warm-up.</summary>
    public double Measure(Action body, int reps, int warmup = 3)
    {
        for (int i = 0; i < warmup; i++) body();
        _device.MakeCurrent();
        CudaException.Check(CuDriver.EventRecord(_start, _device.ComputeStream), "cuEventRecord");
        for (int i = 0; i < reps; i++) body();
        CudaException.Check(CuDriver.EventRecord(_stop, _device.ComputeStream), "cuEventRecord");
        CudaException.Check(CuDriver.EventSynchronize(_stop), "cuEventSynchronize");
        CudaException.Check(CuDriver.EventElapsedTime(out float ms, _start, _stop), "cuEventElapsedTime");
        return ms / reps;
    }

    public void Dispose()
    {
        _device.MakeCurrent();
        CuDriver.EventDestroy(_start);
        CuDriver.EventDestroy(_stop);
    }
}
