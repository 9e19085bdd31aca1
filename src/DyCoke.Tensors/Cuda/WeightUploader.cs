// Uploads checkpoint tensors (memory-mapped host memory) to the GPU once, through two pinned staging buffers on the
// copy stream: the host copies chunk i+1 into one buffer while the DMA engine drains chunk i from the other. Pageable
// memory would make the driver stage through its own small buffer synchronously.
using System.Runtime.CompilerServices;
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed unsafe class WeightUploader : IDisposable
{
    public const int DefaultChunkBytes = 64 << 20;

    private readonly CudaDevice _device;
    private readonly int _chunkBytes;
    private readonly nint[] _staging = new nint[2];
    private readonly nint[] _done = new nint[2];
    private int _next;

    public WeightUploader(CudaDevice device, int chunkBytes = DefaultChunkBytes)
    {
        _device = device;
        _chunkBytes = chunkBytes;
        device.MakeCurrent();
        for (int i = 0; i < 2; i++)
        {
            CudaException.Check(CuDriver.MemAllocHost(out _staging[i], (nuint)chunkBytes), "cuMemAllocHost", () => $"{chunkBytes} bytes pinned");
            CudaException.Check(CuDriver.EventCreate(out _done[i], CuDriver.EventDisableTiming), "cuEventCreate");
            CudaException.Check(CuDriver.EventRecord(_done[i], device.CopyStream), "cuEventRecord");
        }
    }

    /// <summary>Bytes uploaded so far (reported on model load).</summary>
    public long BytesUploaded { get; private set; }

    /// <summary>Copies a host tensor's bytes into a device tensor of equal byte size; returns before the copy completes.</summary>
    public void Upload(Tensor host, Tensor device)
    {
        if (host.Device != DeviceKind.Cpu || device.Device != DeviceKind.Cuda)
            throw new ArgumentException($"Upload copies a host tensor to a CUDA tensor, got {host.Device} → {device.Device}");
        if (host.ByteCount != device.ByteCount)
            throw new ArgumentException($"host {host.Shape} {host.DType} and device {device.Shape} {device.DType} differ in size");
        _device.MakeCurrent();
        byte* src = (byte*)host.Pointer;
        ulong dst = (ulong)device.Pointer;
        for (long offset = 0; offset < host.ByteCount; offset += _chunkBytes)
        {
            int n = (int)Math.Min(_chunkBytes, host.ByteCount - offset);
            int b = _next;
            _next ^= 1;
            // Wait until the DMA that last read this staging buffer has finished before overwriting it.
            CudaException.Check(CuDriver.EventSynchronize(_done[b]), "cuEventSynchronize");
            Unsafe.CopyBlockUnaligned((void*)_staging[b], src + offset, (uint)n);
            CudaException.Check(CuDriver.MemcpyHtoDAsync(dst + (ulong)offset, _staging[b], (nuint)n, _device.CopyStream), "cuMemcpyHtoDAsync", () => $"{n} bytes");
            CudaException.Check(CuDriver.EventRecord(_done[b], _device.CopyStream), "cuEventRecord");
        }
        BytesUploaded += host.ByteCount;
    }

    /// <summary>Blocks until every upload has landed; later compute-stream work then sees the weights.</summary>
    public void Finish()
    {
        _device.MakeCurrent();
        CudaException.Check(CuDriver.StreamSynchronize(_device.CopyStream), "cuStreamSynchronize");
    }

    public void Dispose()
    {
        _device.MakeCurrent();
        CuDriver.StreamSynchronize(_device.CopyStream);
        for (int i = 0; i < 2; i++)
        {
            if (_staging[i] != 0) CuDriver.MemFreeHost(_staging[i]);
            if (_done[i] != 0) CuDriver.EventDestroy(_done[i]);
            _staging[i] = _done[i] = 0;
        }
    }
}
