// The blocked, multi-threaded GEMM driver: y[M, N] = x[M, K] · Wᵀ (+ bias), W [N, K] in F32, F16 or BF16.
// Threads take groups of W column panels from a shared counter; x is packed once and shared by all of them.
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>
/// Loop nest per work item (a group of Nr-wide column panels): k-blocks of at most <see cref="MaxKc"/>, then each
/// panel is packed (W read exactly once per call, widened to F32), then every x row panel runs the micro-kernel
/// against it, so each packed W panel is reused by all M rows while it is hot in L1/L2.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>
    /// Largest k-block. Long blocks measured fastest (K = 896 and 1152 unblocked beat 256-blocks by ~10%): fewer
    /// passes over C and fewer kernel calls, while the packed W panel (≤ 1536 × 32 floats = 192 KiB) stays in L2 and
    /// the x slivers stream from L2/L3 with 32-column reuse per load.
    /// </summary>
    public const int MaxKc = 1536;

    /// <summary>y[m, n] = Σ_k x[m, k]·W[n, k] (+ bias[n]); x [M, K] and y [M, N] F32, bias F32 [N] or null.</summary>
    public static void Run<TKernel, TW>(float* x, void* w, float* bias, float* y, int m, int n, int k, CpuWorkerPool pool)
        where TKernel : unmanaged, IGemmMicroKernel
        where TW : unmanaged, IWeightElement
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int mPanels = (m + mr - 1) / mr;
        float* packedX = GemmScratch.PackedX((long)mPanels * mr * k); // [mPanels, K, Mr]
        int threads = pool.Threads;
        PackAllX(x, m, k, mr, mPanels, packedX, pool);

        // Even k-blocks: 4864 → 4 × 1216 rather than 3 × 1536 + 256, so no block is short.
        int kBlocks = (k + MaxKc - 1) / MaxKc;
        int kc = (k + kBlocks - 1) / kBlocks;

        // About eight items per thread: large enough that x is reused across several panels per k-block, small
        // enough that a thread slowed down by another process leaves only a little work for the others to wait on.
        int nPanels = (n + nr - 1) / nr;
        int panelsPerItem = Math.Clamp(nPanels / (threads * 8), 1, 16);
        int items = (nPanels + panelsPerItem - 1) / panelsPerItem;
        int workers = (long)m * n * k < 1_000_000 ? 1 : Math.Min(threads, items);

        var job = new Job((nint)w, (nint)bias, (nint)y, (nint)packedX, m, n, k, kc, panelsPerItem, items);
        if (workers == 1)
        {
            job.Work<TKernel, TW>();
            return;
        }
        pool.Run(workers, _ => job.Work<TKernel, TW>());
    }

    private static void PackAllX(float* x, int m, int k, int mr, int mPanels, float* packedX, CpuWorkerPool pool)
    {
        int threads = pool.Threads;
        nint px = (nint)packedX, xx = (nint)x;
        void PackRange(int start, int end)
        {
            for (int p = start; p < end; p++)
                GemmPacking.PackX((float*)xx, k, (nint)p * mr, Math.Min(mr, m - p * mr), mr, (float*)px + (nint)p * mr * k);
        }
        if (threads == 1 || (long)m * k < 262_144)
        {
            PackRange(0, mPanels);
            return;
        }
        pool.Run(threads, t => PackRange(mPanels * t / threads, mPanels * (t + 1) / threads));
    }

    /// <summary>Shared state of one call; workers pull column-panel groups from <see cref="_next"/>.</summary>
    private sealed class Job(nint w, nint bias, nint y, nint packedX, int m, int n, int k, int kc, int panelsPerItem, int items)
    {
        private int _next = -1;

        public void Work<TKernel, TW>()
            where TKernel : unmanaged, IGemmMicroKernel
            where TW : unmanaged, IWeightElement
        {
            int mr = TKernel.Mr, nr = TKernel.Nr;
            float* packedW = GemmScratch.PackedW((long)kc * nr); // [kc, Nr]
            float* tile = stackalloc float[mr * nr];              // [Mr, Nr] for ragged edges
            int item;
            while ((item = Interlocked.Increment(ref _next)) < items)
            {
                int nStart = item * panelsPerItem * nr;
                int nEnd = Math.Min(n, nStart + panelsPerItem * nr);
                for (int k0 = 0; k0 < k; k0 += kc)
                {
                    int kcb = Math.Min(kc, k - k0);
                    bool accumulate = k0 > 0;
                    for (int n0 = nStart; n0 < nEnd; n0 += nr)
                    {
                        int cols = Math.Min(nr, n - n0);
                        GemmPacking.PackW<TW>((void*)w, k, n0, cols, k0, kcb, nr, packedW);
                        for (int m0 = 0; m0 < m; m0 += mr)
                        {
                            int rows = Math.Min(mr, m - m0);
                            float* a = (float*)packedX + (nint)m0 * k + (nint)k0 * mr; // [kcb, Mr]
                            float* c = (float*)y + (nint)m0 * n + n0;                 // [rows, cols] of y
                            if (rows == mr && cols == nr)
                                TKernel.Run(kcb, a, packedW, c, n, accumulate);
                            else
                                RunEdge<TKernel>(kcb, a, packedW, c, rows, cols, accumulate, tile);
                        }
                    }
                }
                if (bias != 0) AddBias(nStart, nEnd);
            }
        }

        private void RunEdge<TKernel>(int kcb, float* a, float* packedW, float* c, int rows, int cols, bool accumulate, float* tile)
            where TKernel : unmanaged, IGemmMicroKernel
        {
            int nr = TKernel.Nr;
            if (accumulate)
            {
                for (int i = 0; i < rows; i++)
                    new ReadOnlySpan<float>(c + (nint)i * n, cols).CopyTo(new Span<float>(tile + i * nr, cols));
            }
            TKernel.Run(kcb, a, packedW, tile, nr, accumulate);
            for (int i = 0; i < rows; i++)
                new ReadOnlySpan<float>(tile + i * nr, cols).CopyTo(new Span<float>(c + (nint)i * n, cols));
        }

        // Added per item right after its last k-block, while that slice of y is still in cache.
        private void AddBias(int nStart, int nEnd)
        {
            var b = new ReadOnlySpan<float>((float*)bias + nStart, nEnd - nStart);
            for (int i = 0; i < m; i++)
            {
                var row = new Span<float>((float*)y + (nint)i * n + nStart, nEnd - nStart);
                TensorPrimitives.Add(row, b, row);
            }
        }
    }
}
