// P/Invoke declarations for the CUDA driver API (libcuda.so.1). The exported _v2 names are the real symbols; cuda.h's
// unsuffixed names are macros for them. Handles are nint, device pointers ulong, every call returns a CUresult.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cuda.Interop;

internal static unsafe partial class CuDriver
{
    private const string Lib = CudaLibraryResolver.Driver;

    public const int Success = 0;
    public const int ErrorOutOfMemory = 2;
    public const int ErrorNoDevice = 100;
    public const int StreamNonBlocking = 1;
    public const int EventDefault = 0;
    public const int EventDisableTiming = 2;
    public const int CaptureModeThreadLocal = 1;
    public const int MemPoolAttrReleaseThreshold = 4;
    public const int FuncAttributeMaxDynamicSharedSizeBytes = 8;

    // CUdevice_attribute values used here.
    public const int AttrMultiprocessorCount = 16;
    public const int AttrL2CacheSize = 38;
    public const int AttrComputeCapabilityMajor = 75;
    public const int AttrComputeCapabilityMinor = 76;
    public const int AttrMaxSharedMemoryPerBlockOptin = 97;
    public const int AttrMemoryPoolsSupported = 115;

    [LibraryImport(Lib, EntryPoint = "cuInit")] public static partial int Init(uint flags);
    [LibraryImport(Lib, EntryPoint = "cuDriverGetVersion")] public static partial int DriverGetVersion(out int version);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetCount")] public static partial int DeviceGetCount(out int count);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGet")] public static partial int DeviceGet(out int device, int ordinal);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetName")] public static partial int DeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetAttribute")] public static partial int DeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRetain")] public static partial int DevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int DevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib, EntryPoint = "cuCtxSetCurrent")] public static partial int CtxSetCurrent(nint context);
    [LibraryImport(Lib, EntryPoint = "cuCtxGetCurrent")] public static partial int CtxGetCurrent(out nint context);
    [LibraryImport(Lib, EntryPoint = "cuCtxSynchronize")] public static partial int CtxSynchronize();

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int MemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int MemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int MemGetInfo(out nuint free, out nuint total);
    [LibraryImport(Lib, EntryPoint = "cuMemAllocAsync")] public static partial int MemAllocAsync(out ulong pointer, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemFreeAsync")] public static partial int MemFreeAsync(ulong pointer, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetDefaultMemPool")] public static partial int DeviceGetDefaultMemPool(out nint pool, int device);
    [LibraryImport(Lib, EntryPoint = "cuMemPoolSetAttribute")] public static partial int MemPoolSetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(Lib, EntryPoint = "cuMemAllocHost_v2")] public static partial int MemAllocHost(out nint pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFreeHost")] public static partial int MemFreeHost(nint pointer);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int MemcpyHtoDAsync(ulong dst, nint src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int MemcpyDtoHAsync(nint dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int MemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD8Async")] public static partial int MemsetD8Async(ulong dst, byte value, nuint count, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuModuleLoadData")] public static partial int ModuleLoadData(out nint module, byte* image);
    [LibraryImport(Lib, EntryPoint = "cuModuleUnload")] public static partial int ModuleUnload(nint module);
    [LibraryImport(Lib, EntryPoint = "cuModuleGetFunction")] public static partial int ModuleGetFunction(out nint function, nint module, byte* name);
    [LibraryImport(Lib, EntryPoint = "cuFuncSetAttribute")] public static partial int FuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(Lib, EntryPoint = "cuLaunchKernel")]
    public static partial int LaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(Lib, EntryPoint = "cuStreamCreate")] public static partial int StreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int StreamDestroy(nint stream);
    [LibraryImport(Lib, EntryPoint = "cuStreamSynchronize")] public static partial int StreamSynchronize(nint stream);
    [LibraryImport(Lib, EntryPoint = "cuStreamWaitEvent")] public static partial int StreamWaitEvent(nint stream, nint cuEvent, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventCreate")] public static partial int EventCreate(out nint cuEvent, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventRecord")] public static partial int EventRecord(nint cuEvent, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuEventSynchronize")] public static partial int EventSynchronize(nint cuEvent);
    [LibraryImport(Lib, EntryPoint = "cuEventElapsedTime")] public static partial int EventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int EventDestroy(nint cuEvent);

    [LibraryImport(Lib, EntryPoint = "cuStreamBeginCapture_v2")] public static partial int StreamBeginCapture(nint stream, int mode);
    [LibraryImport(Lib, EntryPoint = "cuStreamEndCapture")] public static partial int StreamEndCapture(nint stream, out nint graph);
    [LibraryImport(Lib, EntryPoint = "cuGraphInstantiateWithFlags")] public static partial int GraphInstantiateWithFlags(out nint exec, nint graph, ulong flags);
    [LibraryImport(Lib, EntryPoint = "cuGraphLaunch")] public static partial int GraphLaunch(nint exec, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuGraphExecDestroy")] public static partial int GraphExecDestroy(nint exec);
    [LibraryImport(Lib, EntryPoint = "cuGraphDestroy")] public static partial int GraphDestroy(nint graph);

    [LibraryImport(Lib, EntryPoint = "cuGetErrorName")] public static partial int GetErrorName(int error, out nint name);
    [LibraryImport(Lib, EntryPoint = "cuGetErrorString")] public static partial int GetErrorString(int error, out nint text);
}
