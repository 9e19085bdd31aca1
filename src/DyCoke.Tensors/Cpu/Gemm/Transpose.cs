// In-register transposes used to pack W panels: 16×16 with AVX-512 and 8×8 with AVX. Packing turns W's rows (one
// output feature, contiguous in k) into panels whose k-th row holds Nr output features, the layout the kernels read.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu.Gemm;

internal static unsafe class Transpose
{
    /// <summary>
    /// Writes the transpose of the 16×16 block whose rows are <c>Load512(rows[r], k)</c>:
    /// dst[c·ldd + r] = W[r][k + c] for r, c in [0, 16).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block16<TW>(byte** rows, nint k, float* dst, nint ldd) where TW : unmanaged, IWeightElement
    {
        // Each group of four rows becomes four vectors whose 128-bit lane L holds those rows at column 4L + q.
        Lanes4(TW.Load512(rows[0], k), TW.Load512(rows[1], k), TW.Load512(rows[2], k), TW.Load512(rows[3], k),
            out var u00, out var u01, out var u02, out var u03);
        Lanes4(TW.Load512(rows[4], k), TW.Load512(rows[5], k), TW.Load512(rows[6], k), TW.Load512(rows[7], k),
            out var u10, out var u11, out var u12, out var u13);
        Lanes4(TW.Load512(rows[8], k), TW.Load512(rows[9], k), TW.Load512(rows[10], k), TW.Load512(rows[11], k),
            out var u20, out var u21, out var u22, out var u23);
        Lanes4(TW.Load512(rows[12], k), TW.Load512(rows[13], k), TW.Load512(rows[14], k), TW.Load512(rows[15], k),
            out var u30, out var u31, out var u32, out var u33);
        // Gathering lane L of the four groups' vector q gives the full column 4L + q.
        StoreColumns(u00, u10, u20, u30, dst, 0, ldd);
        StoreColumns(u01, u11, u21, u31, dst, 1, ldd);
        StoreColumns(u02, u12, u22, u32, dst, 2, ldd);
        StoreColumns(u03, u13, u23, u33, dst, 3, ldd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes4(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> q0, out Vector512<float> q1, out Vector512<float> q2, out Vector512<float> q3)
    {
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1);
        Vector512<float> t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3);
        Vector512<float> t3 = Avx512F.UnpackHigh(r2, r3);
        q0 = Avx512F.Shuffle(t0, t2, 0x44);
        q1 = Avx512F.Shuffle(t0, t2, 0xEE);
        q2 = Avx512F.Shuffle(t1, t3, 0x44);
        q3 = Avx512F.Shuffle(t1, t3, 0xEE);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        float* dst, nint q, nint ldd)
    {
        Vector512<float> lo01 = Avx512F.Shuffle4x128(g0, g1, 0x44);
        Vector512<float> hi01 = Avx512F.Shuffle4x128(g0, g1, 0xEE);
        Vector512<float> lo23 = Avx512F.Shuffle4x128(g2, g3, 0x44);
        Vector512<float> hi23 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        Avx512F.Shuffle4x128(lo01, lo23, 0x88).Store(dst + q * ldd);
        Avx512F.Shuffle4x128(lo01, lo23, 0xDD).Store(dst + (4 + q) * ldd);
        Avx512F.Shuffle4x128(hi01, hi23, 0x88).Store(dst + (8 + q) * ldd);
        Avx512F.Shuffle4x128(hi01, hi23, 0xDD).Store(dst + (12 + q) * ldd);
    }

    /// <summary>dst[c·ldd + r] = W[r][k + c] for r, c in [0, 8), rows read with <c>Load256</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block8<TW>(byte** rows, nint k, float* dst, nint ldd) where TW : unmanaged, IWeightElement
    {
        Vector256<float> r0 = TW.Load256(rows[0], k), r1 = TW.Load256(rows[1], k);
        Vector256<float> r2 = TW.Load256(rows[2], k), r3 = TW.Load256(rows[3], k);
        Vector256<float> r4 = TW.Load256(rows[4], k), r5 = TW.Load256(rows[5], k);
        Vector256<float> r6 = TW.Load256(rows[6], k), r7 = TW.Load256(rows[7], k);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // u0..u3: rows 0-3 at columns (q, 4 + q) in the two 128-bit lanes; u4..u7 the same for rows 4-7.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + ldd);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * ldd);
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * ldd);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * ldd);
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * ldd);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * ldd);
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * ldd);
    }
}
