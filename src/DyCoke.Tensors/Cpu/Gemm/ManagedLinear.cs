// Entry point of the managed matrix multiply: picks the GEMV for small M or the blocked GEMM with the widest
// micro-kernel the CPU runs, and instantiates it for the weight dtype.
using System.Runtime.Intrinsics;

namespace DyCoke.Tensors.Cpu.Gemm;

internal static unsafe class ManagedLinear
{
    /// <summary>Which micro-kernel the blocked GEMM uses on this machine (for logs and benchmark tables).</summary>
    public static string KernelName =>
        Avx512MicroKernel.IsSupported ? "avx512 12x32"
        : Avx2MicroKernel.IsSupported ? "avx2+fma 6x16"
        : Vector128MicroKernel.IsSupported ? "vector128 4x8"
        : "scalar 4x4";

    /// <summary>
    /// y[M, N] = x[M, K] · Wᵀ (+ bias). x, y F32; W [N, K] of <paramref name="weightType"/> (F32, F16 or BF16);
    /// bias F32 [N] or null. M, N, K ≥ 1.
    /// </summary>
    public static void Run(float* x, void* w, DType weightType, float* bias, float* y, int m, int n, int k, CpuWorkerPool pool)
    {
        switch (weightType)
        {
            case DType.F32: Run<F32Weights>(x, w, bias, y, m, n, k, pool); break;
            case DType.F16: Run<F16Weights>(x, w, bias, y, m, n, k, pool); break;
            case DType.BF16: Run<BF16Weights>(x, w, bias, y, m, n, k, pool); break;
            default: throw new ArgumentOutOfRangeException(nameof(weightType), weightType, "weights must be F32, F16 or BF16");
        }
    }

    private static void Run<TW>(float* x, void* w, float* bias, float* y, int m, int n, int k, CpuWorkerPool pool)
        where TW : unmanaged, IWeightElement
    {
        if (m <= ManagedGemv.MaxRows)
            ManagedGemv.Run<TW>(x, w, bias, y, m, n, k, pool);
        else if (Avx512MicroKernel.IsSupported)
            ManagedGemm.Run<Avx512MicroKernel, TW>(x, w, bias, y, m, n, k, pool);
        else if (Avx2MicroKernel.IsSupported)
            ManagedGemm.Run<Avx2MicroKernel, TW>(x, w, bias, y, m, n, k, pool);
        else if (Vector128MicroKernel.IsSupported)
            ManagedGemm.Run<Vector128MicroKernel, TW>(x, w, bias, y, m, n, k, pool);
        else
            ManagedGemm.Run<ScalarMicroKernel, TW>(x, w, bias, y, m, n, k, pool);
    }

    /// <summary>dst[i] = src[i] widened to F32 (src F32, F16 or BF16).</summary>
    public static void Widen(void* src, DType type, float* dst, nint count)
    {
        switch (type)
        {
            case DType.F32: new ReadOnlySpan<float>(src, checked((int)count)).CopyTo(new Span<float>(dst, (int)count)); break;
            case DType.F16: GemmPacking.Widen<F16Weights>(src, dst, count); break;
            case DType.BF16: GemmPacking.Widen<BF16Weights>(src, dst, count); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "expected F32, F16 or BF16");
        }
    }
}
