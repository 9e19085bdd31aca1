// P/Invoke declarations for cuBLAS (libcublas.so.13/.12). Only what Linear and the GEMM oracle need: handles,
// stream/workspace binding and cublasGemmEx / cublasGemmStridedBatchedEx with fp32 compute.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cuda.Interop;

internal static unsafe partial class Cublas
{
    private const string Lib = CudaLibraryResolver.Cublas;

    public const int StatusSuccess = 0;
    public const int OpN = 0;
    public const int OpT = 1;
    public const int R32F = 0;
    public const int R16F = 2;
    public const int R16BF = 14;
    public const int Compute32F = 68;
    public const int GemmDefault = -1;
    public const int PointerModeHost = 0;
    public const int DefaultMath = 0;

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] public static partial int Create(out nint handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] public static partial int Destroy(nint handle);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] public static partial int SetStream(nint handle, nint stream);
    [LibraryImport(Lib, EntryPoint = "cublasSetWorkspace_v2")] public static partial int SetWorkspace(nint handle, ulong workspace, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cublasSetMathMode")] public static partial int SetMathMode(nint handle, int mode);
    [LibraryImport(Lib, EntryPoint = "cublasSetPointerMode_v2")] public static partial int SetPointerMode(nint handle, int mode);
    [LibraryImport(Lib, EntryPoint = "cublasGetStatusName")] public static partial nint GetStatusName(int status);

    [LibraryImport(Lib, EntryPoint = "cublasGemmEx")]
    public static partial int GemmEx(nint handle, int transA, int transB, int m, int n, int k, float* alpha,
        ulong a, int aType, int lda, ulong b, int bType, int ldb, float* beta, ulong c, int cType, int ldc, int computeType, int algo);

    [LibraryImport(Lib, EntryPoint = "cublasGemmStridedBatchedEx")]
    public static partial int GemmStridedBatchedEx(nint handle, int transA, int transB, int m, int n, int k, float* alpha,
        ulong a, int aType, int lda, long strideA, ulong b, int bType, int ldb, long strideB, float* beta,
        ulong c, int cType, int ldc, long strideC, int batchCount, int computeType, int algo);

    public static void Check(int status, string call, Func<string>? detail = null)
    {
        if (status == StatusSuccess) return;
        string name = Marshal.PtrToStringUTF8(GetStatusName(status)) ?? $"CUBLAS_STATUS_{status}";
        throw new CudaException(call, status, name, detail?.Invoke() ?? "");
    }

    /// <summary>cudaDataType for a float storage dtype.</summary>
    public static int DataType(DType dtype) => dtype switch
    {
        DType.F32 => R32F,
        DType.F16 => R16F,
        DType.BF16 => R16BF,
        _ => throw new ArgumentException($"cuBLAS GEMMs take F32, F16 or BF16, not {dtype}"),
    };
}
