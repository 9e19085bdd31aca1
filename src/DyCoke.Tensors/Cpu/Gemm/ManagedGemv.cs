// The small-M path (decode: M = 1 to 16 rows): y[m, n] = x[m, :]·W[n, :] (+ bias[n]) with W streamed once in its
// stored dtype, never packed, so large W are bound by memory bandwidth and cache-resident W by FMA throughput.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>
/// With AVX-512, blocks of 16 W rows go through <see cref="SmallMKernel"/>: x is interleaved once per call, and each
/// block is multiplied by every x chunk while its rows are hot in L1/L2, so W comes from memory once whatever M is.
/// Without AVX-512 (M ≤ 4 only), eight W rows at a time are dotted with each x row: eight concurrent row streams per
/// core, not four, because one core's outstanding-miss capacity bounds a DRAM read stream and four left it half used
/// (measured on the 0.5B MLP shape: 9.4 → 18.2 GB/s with two threads). Threads split N into contiguous row ranges.
/// </summary>
internal static unsafe class ManagedGemv
{
    /// <summary>Up to this many x rows the GEMV beats packing W for the blocked GEMM.</summary>
    public static int MaxRows => SmallMKernel.IsSupported ? SmallMKernel.MaxRows : 4;

    private const int RowsPerStep = 8;

    /// <summary>y[m, n] = Σ_k x[m, k]·W[n, k] (+ bias[n]); x [M, K], y [M, N] F32; bias F32 [N] or null.</summary>
    public static void Run<TW>(float* x, void* w, float* bias, float* y, int m, int n, int k, CpuWorkerPool pool)
        where TW : unmanaged, IWeightElement
    {
        // Half-precision weights at one or two rows stay on the row-streaming GEMV, which widens in registers: the block
        // kernel stages each widened 16-row block through scratch first, and that extra pass made a BF16 decode GEMV of
        // the 0.5B MLP down-projection 1.7× slower (docs/benchmarks.md, "Decode shapes"); from M = 4 it wins.
        bool blocked = SmallMKernel.IsSupported && (typeof(TW) == typeof(F32Weights) || m > 2);
        int kPad = (k + 15) & ~15;
        float* xg = null; // [M, kPad] as interleaved chunks (LaneInterleave)
        if (blocked && m == 1 && k == kPad)
        {
            xg = x; // one row is its own interleaved layout when no zero padding is needed
        }
        else if (blocked)
        {
            xg = GemmScratch.PackedX((long)m * kPad);
            InterleaveX(x, m, k, kPad, xg);
        }
        nint xx = (nint)x, ww = (nint)w, bb = (nint)bias, yy = (nint)y, gg = (nint)xg;
        // Chunks of whole steps (16-row blocks, or 8-row steps without AVX-512); 16 per thread so a thread slowed by
        // another process does not stall the call.
        int stepRows = blocked ? SmallMKernel.Cols : RowsPerStep;
        int steps = (n + stepRows - 1) / stepRows;
        int workers = (long)n * k < 262_144 ? 1 : pool.Threads;
        if (workers == 1)
        {
            if (blocked) Blocks<TW>(xg, w, bias, y, m, n, k, kPad, 0, n);
            else Rows<TW>(x, w, bias, y, m, n, k, 0, n);
            return;
        }
        int chunks = Math.Min(steps, workers * 16);
        pool.Run(chunks, c =>
        {
            int n0 = (int)((long)steps * c / chunks) * stepRows;
            int n1 = Math.Min(n, (int)((long)steps * (c + 1) / chunks) * stepRows);
            if (blocked) Blocks<TW>((float*)gg, (void*)ww, (float*)bb, (float*)yy, m, n, k, kPad, n0, n1);
            else Rows<TW>((float*)xx, (void*)ww, (float*)bb, (float*)yy, m, n, k, n0, n1);
        });
    }

    // Chunks of 16, 8, 4, 2, 1 rows, one per set bit of M, so no lane computes a padding row.
    private static void InterleaveX(float* x, int m, int k, int kPad, float* xg)
    {
        int row = 0;
        for (int c = SmallMKernel.MaxRows; c >= 1; c >>= 1)
        {
            if ((m & c) == 0) continue;
            LaneInterleave.Chunk(x, k, kPad, row, c, xg + (nint)row * kPad);
            row += c;
        }
    }

    /// <summary>Output columns [n0, n1) (n0 a multiple of 16) of every row through <see cref="SmallMKernel"/>.</summary>
    private static void Blocks<TW>(float* xg, void* w, float* bias, float* y, int m, int n, int k, int kPad, int n0, int n1)
        where TW : unmanaged, IWeightElement
    {
        // F32 rows whose length is a multiple of 16 are read in place; other blocks (F16/BF16, a ragged K or a ragged
        // last block) are first widened into a zero-padded [16, kPad] F32 block of this thread's scratch, which stays
        // in L1/L2 while every x chunk reads it.
        bool inPlace = typeof(TW) == typeof(F32Weights) && k == kPad;
        float* staged = inPlace && (n1 - n0) % SmallMKernel.Cols == 0 ? null : GemmScratch.PackedW((long)SmallMKernel.Cols * kPad);
        nint rowBytes = (nint)k * TW.ElementSize;
        for (int nb = n0; nb < n1; nb += SmallMKernel.Cols)
        {
            int cols = Math.Min(SmallMKernel.Cols, n1 - nb);
            byte* block;  // [16, K or kPad] F32
            nint stride;  // bytes between its rows
            if (inPlace && cols == SmallMKernel.Cols)
            {
                block = (byte*)w + nb * rowBytes;
                stride = rowBytes;
            }
            else
            {
                Stage<TW>((byte*)w + nb * rowBytes, rowBytes, cols, k, kPad, staged);
                block = (byte*)staged;
                stride = (nint)kPad * sizeof(float);
            }
            float* b = bias == null ? null : bias + nb;
            int row = 0;
            for (int c = SmallMKernel.MaxRows; c >= 1; c >>= 1)
            {
                if ((m & c) == 0) continue;
                float* xc = xg + (nint)row * kPad; // [kPad / G, 16]
                float* yc = y + (nint)row * n + nb; // [C, cols] with row stride N
                int stepsOfC = kPad * c / 16;
                switch (c)
                {
                    case 16: SmallMKernel.Block<LaneGroup1>(xc, stepsOfC, block, stride, b, yc, n, cols); break;
                    case 8: SmallMKernel.Block<LaneGroup2>(xc, stepsOfC, block, stride, b, yc, n, cols); break;
                    case 4: SmallMKernel.Block<LaneGroup4>(xc, stepsOfC, block, stride, b, yc, n, cols); break;
                    case 2: SmallMKernel.Block<LaneGroup8>(xc, stepsOfC, block, stride, b, yc, n, cols); break;
                    default: SmallMKernel.Block<LaneGroup16>(xc, stepsOfC, block, stride, b, yc, n, cols); break;
                }
                row += c;
            }
        }
    }

    /// <summary>dst[j, :] = W row j widened to F32 and zero-padded to kPad, for j &lt; cols; rows past cols are zero.</summary>
    private static void Stage<TW>(byte* w, nint rowBytes, int cols, int k, int kPad, float* dst)
        where TW : unmanaged, IWeightElement
    {
        for (int j = 0; j < SmallMKernel.Cols; j++)
        {
            var row = new Span<float>(dst + (nint)j * kPad, kPad);
            if (j < cols)
            {
                GemmPacking.Widen<TW>(w + j * rowBytes, dst + (nint)j * kPad, k);
                row[k..].Clear();
            }
            else
            {
                row.Clear();
            }
        }
    }

    private static void Rows<TW>(float* x, void* w, float* bias, float* y, int m, int n, int k, int n0, int n1)
        where TW : unmanaged, IWeightElement
    {
        nint rowBytes = (nint)k * TW.ElementSize;
        int nr = n0;
        for (; nr + RowsPerStep <= n1; nr += RowsPerStep)
        {
            byte* w0 = (byte*)w + nr * rowBytes; // [8, K]
            for (int i = 0; i < m; i++)
            {
                float* yr = y + (nint)i * n + nr; // [8]
                Dot8<TW>(x + (nint)i * k, w0, rowBytes, k, yr);
                if (bias != null)
                    for (int j = 0; j < RowsPerStep; j++) yr[j] += bias[nr + j];
            }
        }
        for (; nr + 4 <= n1; nr += 4)
        {
            byte* w0 = (byte*)w + nr * rowBytes; // [4, K]
            for (int i = 0; i < m; i++)
            {
                float* xr = x + (nint)i * k; // [K]
                Dot4<TW>(xr, w0, w0 + rowBytes, w0 + 2 * rowBytes, w0 + 3 * rowBytes, k, out float s0, out float s1, out float s2, out float s3);
                float* yr = y + (nint)i * n + nr;
                if (bias != null)
                {
                    s0 += bias[nr]; s1 += bias[nr + 1]; s2 += bias[nr + 2]; s3 += bias[nr + 3];
                }
                yr[0] = s0; yr[1] = s1; yr[2] = s2; yr[3] = s3;
            }
        }
        for (; nr < n1; nr++)
        {
            byte* wr = (byte*)w + nr * rowBytes;
            for (int i = 0; i < m; i++)
            {
                Dot4<TW>(x + (nint)i * k, wr, wr, wr, wr, k, out float s, out _, out _, out _);
                y[(nint)i * n + nr] = bias != null ? s + bias[nr] : s;
            }
        }
    }

    /// <summary>y[r] = x · W_r for the eight consecutive W rows starting at <paramref name="w0"/> (row stride in bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot8<TW>(float* x, byte* w0, nint rowBytes, int k, float* y) where TW : unmanaged, IWeightElement
    {
        byte* r0 = w0, r1 = w0 + rowBytes, r2 = w0 + 2 * rowBytes, r3 = w0 + 3 * rowBytes;
        byte* r4 = w0 + 4 * rowBytes, r5 = w0 + 5 * rowBytes, r6 = w0 + 6 * rowBytes, r7 = w0 + 7 * rowBytes;
        nint i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
            for (; i + 16 <= k; i += 16)
            {
                Vector512<float> xv = Vector512.Load(x + i);
                a0 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r0, i), a0);
                a1 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r1, i), a1);
                a2 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r2, i), a2);
                a3 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r3, i), a3);
                a4 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r4, i), a4);
                a5 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r5, i), a5);
                a6 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r6, i), a6);
                a7 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r7, i), a7);
            }
            y[0] = Vector512.Sum(a0); y[1] = Vector512.Sum(a1); y[2] = Vector512.Sum(a2); y[3] = Vector512.Sum(a3);
            y[4] = Vector512.Sum(a4); y[5] = Vector512.Sum(a5); y[6] = Vector512.Sum(a6); y[7] = Vector512.Sum(a7);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> a4 = default, a5 = default, a6 = default, a7 = default;
            for (; i + 8 <= k; i += 8)
            {
                Vector256<float> xv = Vector256.Load(x + i);
                a0 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r0, i), a0);
                a1 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r1, i), a1);
                a2 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r2, i), a2);
                a3 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r3, i), a3);
                a4 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r4, i), a4);
                a5 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r5, i), a5);
                a6 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r6, i), a6);
                a7 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r7, i), a7);
            }
            y[0] = Vector256.Sum(a0); y[1] = Vector256.Sum(a1); y[2] = Vector256.Sum(a2); y[3] = Vector256.Sum(a3);
            y[4] = Vector256.Sum(a4); y[5] = Vector256.Sum(a5); y[6] = Vector256.Sum(a6); y[7] = Vector256.Sum(a7);
        }
        else
        {
            // Narrow vectors: the latency of eight chains is not the bottleneck there; two four-row passes suffice.
            Dot4<TW>(x, r0, r1, r2, r3, k, out y[0], out y[1], out y[2], out y[3]);
            Dot4<TW>(x, r4, r5, r6, r7, k, out y[4], out y[5], out y[6], out y[7]);
            return;
        }
        for (; i < k; i++)
        {
            float xi = x[i];
            y[0] += xi * TW.Load(r0, i); y[1] += xi * TW.Load(r1, i); y[2] += xi * TW.Load(r2, i); y[3] += xi * TW.Load(r3, i);
            y[4] += xi * TW.Load(r4, i); y[5] += xi * TW.Load(r5, i); y[6] += xi * TW.Load(r6, i); y[7] += xi * TW.Load(r7, i);
        }
    }

    /// <summary>s_r = x · W_r for four W rows (the same row may be passed more than once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4<TW>(float* x, byte* r0, byte* r1, byte* r2, byte* r3, int k,
        out float s0, out float s1, out float s2, out float s3) where TW : unmanaged, IWeightElement
    {
        nint i = 0;
        s0 = s1 = s2 = s3 = 0f;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            // Two k-vectors per step: eight independent FMA chains hide the FMA latency.
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; i + 32 <= k; i += 32)
            {
                Vector512<float> xv = Vector512.Load(x + i), xw = Vector512.Load(x + i + 16);
                a0 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r0, i), a0);
                a1 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r1, i), a1);
                a2 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r2, i), a2);
                a3 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r3, i), a3);
                b0 = Avx512F.FusedMultiplyAdd(xw, TW.Load512(r0, i + 16), b0);
                b1 = Avx512F.FusedMultiplyAdd(xw, TW.Load512(r1, i + 16), b1);
                b2 = Avx512F.FusedMultiplyAdd(xw, TW.Load512(r2, i + 16), b2);
                b3 = Avx512F.FusedMultiplyAdd(xw, TW.Load512(r3, i + 16), b3);
            }
            for (; i + 16 <= k; i += 16)
            {
                Vector512<float> xv = Vector512.Load(x + i);
                a0 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r0, i), a0);
                a1 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r1, i), a1);
                a2 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r2, i), a2);
                a3 = Avx512F.FusedMultiplyAdd(xv, TW.Load512(r3, i), a3);
            }
            s0 = Vector512.Sum(a0 + b0); s1 = Vector512.Sum(a1 + b1); s2 = Vector512.Sum(a2 + b2); s3 = Vector512.Sum(a3 + b3);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; i + 16 <= k; i += 16)
            {
                Vector256<float> xv = Vector256.Load(x + i), xw = Vector256.Load(x + i + 8);
                a0 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r0, i), a0);
                a1 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r1, i), a1);
                a2 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r2, i), a2);
                a3 = Vector256.MultiplyAddEstimate(xv, TW.Load256(r3, i), a3);
                b0 = Vector256.MultiplyAddEstimate(xw, TW.Load256(r0, i + 8), b0);
                b1 = Vector256.MultiplyAddEstimate(xw, TW.Load256(r1, i + 8), b1);
                b2 = Vector256.MultiplyAddEstimate(xw, TW.Load256(r2, i + 8), b2);
                b3 = Vector256.MultiplyAddEstimate(xw, TW.Load256(r3, i + 8), b3);
            }
            s0 = Vector256.Sum(a0 + b0); s1 = Vector256.Sum(a1 + b1); s2 = Vector256.Sum(a2 + b2); s3 = Vector256.Sum(a3 + b3);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 4 <= k; i += 4)
            {
                Vector128<float> xv = Vector128.Load(x + i);
                a0 = Vector128.MultiplyAddEstimate(xv, TW.Load128(r0, i), a0);
                a1 = Vector128.MultiplyAddEstimate(xv, TW.Load128(r1, i), a1);
                a2 = Vector128.MultiplyAddEstimate(xv, TW.Load128(r2, i), a2);
                a3 = Vector128.MultiplyAddEstimate(xv, TW.Load128(r3, i), a3);
            }
            s0 = Vector128.Sum(a0); s1 = Vector128.Sum(a1); s2 = Vector128.Sum(a2); s3 = Vector128.Sum(a3);
        }
        for (; i < k; i++)
        {
            float xi = x[i];
            s0 += xi * TW.Load(r0, i);
            s1 += xi * TW.Load(r1, i);
            s2 += xi * TW.Load(r2, i);
            s3 += xi * TW.Load(r3, i);
        }
    }
}
