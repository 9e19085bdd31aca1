// Device memory behind a CUDA tensor. Freed explicitly (Dispose) with the device's context made current on the
// disposing thread; there is no finalizer, because a finalizer thread has no context and may race a graph capture.
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed class CudaStorage : TensorStorage
{
    private readonly CudaDevice _device;
    private readonly bool _streamOrdered;

    private CudaStorage(CudaDevice device, ulong pointer, long byteCount, bool streamOrdered)
        : base((nint)pointer, byteCount, DeviceKind.Cuda)
    {
        _device = device;
        _streamOrdered = streamOrdered;
    }

    /// <summary>
    /// Allocates <paramref name="byteCount"/> bytes, zeroed unless <paramref name="clear"/> is false. Stream-ordered (cuMemAllocAsync on the compute stream) when the
    /// device supports memory pools, so scratch comes from the pool without a device-wide sync.
    /// </summary>
    public static CudaStorage Allocate(CudaDevice device, long byteCount, bool clear = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        device.MakeCurrent();
        nuint bytes = (nuint)Math.Max(byteCount, 1);
        ulong pointer;
        bool streamOrdered = device.Info.MemoryPoolsSupported;
        int result = streamOrdered
            ? CuDriver.MemAllocAsync(out pointer, bytes, device.ComputeStream)
            : CuDriver.MemAlloc(out pointer, bytes);
        CudaException.Check(result, streamOrdered ? "cuMemAllocAsync" : "cuMemAlloc",
            () => $"{byteCount} bytes; free/total {device.MemoryInfo().Free}/{device.MemoryInfo().Total}");
        if (clear) CudaException.Check(CuDriver.MemsetD8Async(pointer, 0, bytes, device.ComputeStream), "cuMemsetD8Async");
        return new CudaStorage(device, pointer, byteCount, streamOrdered);
    }

    protected override void Release(nint pointer)
    {
        _device.MakeCurrent();
        if (_streamOrdered) CuDriver.MemFreeAsync((ulong)pointer, _device.ComputeStream);
        else CuDriver.MemFree((ulong)pointer);
    }
}
