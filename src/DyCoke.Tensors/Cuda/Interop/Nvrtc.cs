// P/Invoke declarations for NVRTC (runtime compilation of CUDA C++ to PTX or cubin). Blittable arguments only;
// the logical library name is mapped to libnvrtc.so.13/.12/.11.2 by CudaLibraryResolver.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cuda.Interop;

internal static unsafe partial class Nvrtc
{
    private const string Lib = CudaLibraryResolver.Nvrtc;

    public const int Success = 0;
    public const int ErrorCompilation = 6;

    [LibraryImport(Lib, EntryPoint = "nvrtcVersion")]
    public static partial int Version(out int major, out int minor);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetErrorString")]
    public static partial nint GetErrorString(int result);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetNumSupportedArchs")]
    public static partial int GetNumSupportedArchs(out int count);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetSupportedArchs")]
    public static partial int GetSupportedArchs(int* archs);

    [LibraryImport(Lib, EntryPoint = "nvrtcCreateProgram")]
    public static partial int CreateProgram(out nint program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);

    [LibraryImport(Lib, EntryPoint = "nvrtcDestroyProgram")]
    public static partial int DestroyProgram(ref nint program);

    [LibraryImport(Lib, EntryPoint = "nvrtcCompileProgram")]
    public static partial int CompileProgram(nint program, int numOptions, byte** options);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLogSize")]
    public static partial int GetProgramLogSize(nint program, out nuint size);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLog")]
    public static partial int GetProgramLog(nint program, byte* log);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTXSize")]
    public static partial int GetPtxSize(nint program, out nuint size);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTX")]
    public static partial int GetPtx(nint program, byte* ptx);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBINSize")]
    public static partial int GetCubinSize(nint program, out nuint size);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBIN")]
    public static partial int GetCubin(nint program, byte* cubin);

    public static string ErrorString(int result) => Marshal.PtrToStringUTF8(GetErrorString(result)) ?? $"NVRTC error {result}";
}
