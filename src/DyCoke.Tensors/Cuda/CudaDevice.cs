// One GPU: the driver initialised once, the device's primary context, a non-blocking compute stream and a copy
// stream. CUDA's current context is per OS thread, so every entry point calls MakeCurrent (cheap when it already is);
// the engine runs all device work on one dedicated thread, which makes that a no-op in steady state.
using System.Text;
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

/// <summary>Facts about a device, read once at open.</summary>
public sealed record CudaDeviceInfo(int Ordinal, string Name, int ComputeMajor, int ComputeMinor, int Multiprocessors,
    long TotalMemory, int MaxSharedMemoryPerBlockOptin, bool MemoryPoolsSupported, int DriverVersion)
{
    /// <summary>NVRTC's real-architecture name for this device, e.g. "sm_90".</summary>
    public string Architecture => $"sm_{ComputeMajor}{ComputeMinor}";
}

public sealed unsafe class CudaDevice : IDisposable
{
    private static readonly Lock s_initLock = new();
    private static bool s_initialized;

    [ThreadStatic] private static nint t_currentContext;

    private readonly nint _context;
    private bool _disposed;

    private CudaDevice(int ordinal, nint context, CudaDeviceInfo info, nint computeStream, nint copyStream)
    {
        Ordinal = ordinal;
        _context = context;
        Info = info;
        ComputeStream = computeStream;
        CopyStream = copyStream;
    }

    public int Ordinal { get; }
    public CudaDeviceInfo Info { get; }

    /// <summary>The stream every op is queued on (non-blocking: never the legacy default stream).</summary>
    public nint ComputeStream { get; }

    /// <summary>A second stream for weight uploads, so they can overlap compute.</summary>
    public nint CopyStream { get; }

    /// <summary>
    /// True when a driver loads and reports at least one device; otherwise false with the reason (no libcuda.so.1,
    /// no device, or an init error), which the server logs when it falls back to the CPU.
    /// </summary>
    public static bool TryProbe(out int deviceCount, out string reason)
    {
        deviceCount = 0;
        if (!CudaLibraryResolver.TryLoad(CudaLibraryResolver.Driver, out string? detail))
        {
            reason = $"no CUDA driver: {detail}";
            return false;
        }
        try
        {
            InitDriver();
            CudaException.Check(CuDriver.DeviceGetCount(out deviceCount), "cuDeviceGetCount");
        }
        catch (CudaException e)
        {
            reason = e.Message;
            return false;
        }
        reason = deviceCount == 0 ? "the CUDA driver reports no device" : $"{deviceCount} CUDA device(s)";
        return deviceCount > 0;
    }

    /// <summary>Opens device <paramref name="ordinal"/>: retains its primary context and creates the two streams.</summary>
    public static CudaDevice Open(int ordinal = 0)
    {
        if (!TryProbe(out int count, out string reason)) throw new InvalidOperationException($"CUDA is not available: {reason}");
        if (ordinal < 0 || ordinal >= count) throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"the host has {count} CUDA device(s)");
        CudaException.Check(CuDriver.DeviceGet(out int device, ordinal), "cuDeviceGet", () => $"ordinal {ordinal}");
        // The primary context is the one the runtime API (PyTorch, cuBLAS) shares; creating our own would cost memory.
        CudaException.Check(CuDriver.DevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain", () => $"device {ordinal}");
        CudaException.Check(CuDriver.CtxSetCurrent(context), "cuCtxSetCurrent");
        t_currentContext = context;
        var info = ReadInfo(ordinal, device);
        CudaException.Check(CuDriver.StreamCreate(out nint compute, CuDriver.StreamNonBlocking), "cuStreamCreate");
        CudaException.Check(CuDriver.StreamCreate(out nint copy, CuDriver.StreamNonBlocking), "cuStreamCreate");
        if (info.MemoryPoolsSupported)
        {
            // Keep freed pool memory instead of returning it to the driver at every sync: scratch reuse without cuMemAlloc.
            CudaException.Check(CuDriver.DeviceGetDefaultMemPool(out nint pool, device), "cuDeviceGetDefaultMemPool");
            ulong threshold = ulong.MaxValue;
            CudaException.Check(CuDriver.MemPoolSetAttribute(pool, CuDriver.MemPoolAttrReleaseThreshold, &threshold), "cuMemPoolSetAttribute");
        }
        return new CudaDevice(ordinal, context, info, compute, copy);
    }

    /// <summary>Makes this device's context current on the calling thread (one driver call on a thread switch).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t_currentContext == _context) return;
        CudaException.Check(CuDriver.CtxSetCurrent(_context), "cuCtxSetCurrent", () => $"device {Ordinal}");
        t_currentContext = _context;
    }

    /// <summary>Free and total device memory in bytes, as the driver sees it now.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        CudaException.Check(CuDriver.MemGetInfo(out nuint free, out nuint total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    public void Synchronize()
    {
        MakeCurrent();
        CudaException.Check(CuDriver.StreamSynchronize(ComputeStream), "cuStreamSynchronize");
    }

    public void Dispose()
    {
        if (_disposed) return;
        MakeCurrent();
        CuDriver.StreamSynchronize(ComputeStream);
        CuDriver.StreamDestroy(ComputeStream);
        CuDriver.StreamDestroy(CopyStream);
        CuDriver.DevicePrimaryCtxRelease(Ordinal);
        t_currentContext = 0;
        _disposed = true;
    }

    private static void InitDriver()
    {
        lock (s_initLock)
        {
            if (s_initialized) return;
            CudaException.Check(CuDriver.Init(0), "cuInit");
            s_initialized = true;
        }
    }

    private static CudaDeviceInfo ReadInfo(int ordinal, int device)
    {
        int Attr(int attribute)
        {
            CudaException.Check(CuDriver.DeviceGetAttribute(out int v, attribute, device), "cuDeviceGetAttribute", () => $"attribute {attribute}");
            return v;
        }
        byte* name = stackalloc byte[256];
        CudaException.Check(CuDriver.DeviceGetName(name, 256, device), "cuDeviceGetName");
        CudaException.Check(CuDriver.DeviceTotalMem(out nuint total, device), "cuDeviceTotalMem");
        CudaException.Check(CuDriver.DriverGetVersion(out int driver), "cuDriverGetVersion");
        string deviceName = Encoding.UTF8.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0));
        return new CudaDeviceInfo(ordinal, deviceName, Attr(CuDriver.AttrComputeCapabilityMajor), Attr(CuDriver.AttrComputeCapabilityMinor),
            Attr(CuDriver.AttrMultiprocessorCount), (long)total, Attr(CuDriver.AttrMaxSharedMemoryPerBlockOptin),
            Attr(CuDriver.AttrMemoryPoolsSupported) != 0, driver);
    }
}
