// Packing of GEMM operands into the contiguous panels the micro-kernels stream: x into [K, Mr] row panels (once per
// call) and W into [kc, Nr] column panels (once per k-block, widening F16/BF16 to F32 on the way).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu.Gemm;

internal static unsafe class GemmPacking
{
    /// <summary>
    /// dst[k·mr + i] = x[m0 + i, k] for k in [0, K), i in [0, mr); rows past <paramref name="rows"/> are zero so the
    /// kernel can always compute a full tile. x is [M, K] row-major; dst holds K·mr floats.
    /// </summary>
    public static void PackX(float* x, nint kDim, nint m0, int rows, int mr, float* dst)
    {
        for (int i = 0; i < rows; i++)
        {
            float* src = x + (m0 + i) * kDim; // [K]
            float* d = dst + i;
            for (nint k = 0; k < kDim; k++) d[k * mr] = src[k];
        }
        for (int i = rows; i < mr; i++)
        {
            float* d = dst + i;
            for (nint k = 0; k < kDim; k++) d[k * mr] = 0f;
        }
    }

    /// <summary>
    /// dst[k·nr + j] = W[n0 + j, k0 + k] (widened to F32) for k in [0, kc), j in [0, nr); columns past
    /// <paramref name="cols"/> are zero. W is [N, K] row-major in its stored dtype.
    /// </summary>
    public static void PackW<TW>(void* w, nint kDim, nint n0, int cols, nint k0, int kc, int nr, float* dst)
        where TW : unmanaged, IWeightElement
    {
        nint rowBytes = kDim * TW.ElementSize;
        byte** rows = stackalloc byte*[nr];
        for (int j = 0; j < nr; j++)
            rows[j] = (byte*)w + (n0 + Math.Min(j, cols - 1)) * rowBytes + k0 * TW.ElementSize;

        int kDone = 0;
        if (cols == nr && nr % 16 == 0 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            for (; kDone + 16 <= kc; kDone += 16)
                for (int j = 0; j < nr; j += 16)
                    Transpose.Block16<TW>(rows + j, kDone, dst + kDone * nr + j, nr);
        }
        else if (cols == nr && nr % 8 == 0 && Vector256.IsHardwareAccelerated && Avx.IsSupported)
        {
            for (; kDone + 8 <= kc; kDone += 8)
                for (int j = 0; j < nr; j += 8)
                    Transpose.Block8<TW>(rows + j, kDone, dst + kDone * nr + j, nr);
        }

        // Remaining k (and every k on the scalar path or at the ragged right edge of W).
        for (int j = 0; j < nr; j++)
        {
            float* d = dst + j;
            if (j < cols)
            {
                for (nint k = kDone; k < kc; k++) d[k * nr] = TW.Load(rows[j], k);
            }
            else
            {
                for (nint k = kDone; k < kc; k++) d[k * nr] = 0f;
            }
        }
    }

    /// <summary>dst[i] = W element i widened to F32, for a contiguous run of <paramref name="count"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen<TW>(void* src, float* dst, nint count) where TW : unmanaged, IWeightElement
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            for (; i + 16 <= count; i += 16) TW.Load512(src, i).Store(dst + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8) TW.Load256(src, i).Store(dst + i);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= count; i += 4) TW.Load128(src, i).Store(dst + i);
        }
        for (; i < count; i++) dst[i] = TW.Load(src, i);
    }
}
