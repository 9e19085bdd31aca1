// Memory behind tensors: aligned native CPU memory owned by the tensor, or memory owned elsewhere (a memory-mapped
// checkpoint, later a CUDA allocation). Freed explicitly through Dispose; never by a finalizer on another thread.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors;

public enum DeviceKind : byte
{
    Cpu,
    Cuda,
}

/// <summary>A block of memory a tensor points into. The tensor that created it disposes it; views never do.</summary>
public abstract class TensorStorage : IDisposable
{
    protected TensorStorage(nint pointer, long byteCount, DeviceKind device)
    {
        Pointer = pointer;
        ByteCount = byteCount;
        Device = device;
    }

    public nint Pointer { get; private set; }
    public long ByteCount { get; }
    public DeviceKind Device { get; }
    public bool IsDisposed => Pointer == 0 && ByteCount > 0;

    // No GC.SuppressFinalize: no storage has a finalizer, and the call into the runtime is paid by every tensor a
    // decode step frees.
    public void Dispose()
    {
        if (Pointer == 0) return;
        Release(Pointer);
        Pointer = 0;
    }

    protected abstract void Release(nint pointer);
}

/// <summary>64-byte aligned native CPU memory (one cache line, the widest SIMD register), zero-initialised unless asked not to be.</summary>
public sealed unsafe class CpuStorage : TensorStorage
{
    public const int Alignment = 64;

    private static long s_liveBytes;

    private readonly long _capacity; // what CpuBlockCache handed out: ByteCount rounded up to its size class

    private CpuStorage(nint pointer, long byteCount, long capacity) : base(pointer, byteCount, DeviceKind.Cpu) => _capacity = capacity;

    /// <summary>
    /// Bytes of CPU storage allocated and not yet disposed, process-wide: a leak check for tests and diagnostics
    /// (tensors are freed deterministically, so after a workload it returns exactly to its earlier value).
    /// </summary>
    public static long LiveBytes => Interlocked.Read(ref s_liveBytes);

    /// <summary>Aligned storage of <paramref name="byteCount"/> bytes, zeroed unless the caller overwrites it all
    /// (<paramref name="clear"/> false: the contents are undefined).</summary>
    public static CpuStorage Allocate(long byteCount, bool clear = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        void* p = CpuBlockCache.Rent(byteCount, Alignment, out long capacity);
        if (clear) NativeMemory.Clear(p, (nuint)byteCount);
        Interlocked.Add(ref s_liveBytes, byteCount);
        return new CpuStorage((nint)p, byteCount, capacity);
    }

    protected override void Release(nint pointer)
    {
        CpuBlockCache.Release((void*)pointer, _capacity);
        Interlocked.Add(ref s_liveBytes, -ByteCount);
    }
}

/// <summary>Memory that someone else owns and frees (e.g. a memory-mapped file); the optional owner is kept alive.</summary>
public sealed class ExternalStorage : TensorStorage
{
    private readonly object? _owner;

    public ExternalStorage(nint pointer, long byteCount, DeviceKind device, object? owner)
        : base(pointer, byteCount, device) => _owner = owner;

    public object? Owner => _owner;

    protected override void Release(nint pointer) { }
}
