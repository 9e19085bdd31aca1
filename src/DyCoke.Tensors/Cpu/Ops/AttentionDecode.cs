// CPU decode attention over per-sequence slot lists (CSR kvIndptr/kvIndices, page size 1), one work item per
// (sequence, kv head) so each cached K/V row is read once for its whole GQA group; optionally DyCoke's mean-over-heads
// attention probabilities (dycoke-algorithm.md §4), the score that decides which visual tokens stay in the cache.
using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// out[b, h] = Σ_j softmax_j(q[b, h]·kCache[s_j, g]·scale)·vCache[s_j, g], s_j = kvIndices[j] for j in
    /// [kvIndptr[b], kvIndptr[b + 1]), g = h / (H / Hkv). A sequence with no slots gets an all-zero output row (and
    /// has no meanProbs entries). When meanProbs [nnz] is given, meanProbs[j] = (1/H)·Σ_h softmax probability of listed
    /// slot j for head h, so each sequence's entries sum to 1. A slot listed twice counts twice, as in a gather. The
    /// caches are F32 or BF16 (widened exactly on load; all arithmetic stays F32).
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not an F32 (I32 for the index lists; F32 or BF16 for the caches)
    /// CPU tensor, the shapes disagree, H is not a positive multiple of Hkv, kvIndptr does not rise from 0 to nnz, or a
    /// slot is outside [0, S).</exception>
    public unsafe void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs)
    {
        ValidateDecode(q, kCache, vCache, kvIndptr, kvIndices, output, meanProbs);
        int b = (int)q.Shape[0], h = (int)q.Shape[1], d = (int)q.Shape[2], hkv = (int)kCache.Shape[1];
        int nnz = (int)kvIndices.Shape[0];
        ReadOnlySpan<int> indptr = kvIndptr.Span<int>(); // [B + 1]
        int longest = 0;
        for (int i = 0; i < b; i++) longest = Math.Max(longest, indptr[i + 1] - indptr[i]);

        // Each kv head's share of meanProbs (its group's probabilities over H): groups run in parallel, so they cannot
        // add into one row. Kv head 0 writes meanProbs itself; the others write rows of extraSums.
        float[]? extraSums = meanProbs is null || hkv == 1 ? null : ArrayPool<float>.Shared.Rent((hkv - 1) * nnz); // [Hkv − 1, nnz]
        try
        {
            var problem = new DecodeProblem(
                (float*)q.Pointer, (byte*)kCache.Pointer, (byte*)vCache.Pointer, kCache.DType == DType.BF16, (int*)kvIndptr.Pointer, (int*)kvIndices.Pointer,
                (float*)output.Pointer, meanProbs is null ? null : (float*)meanProbs.Pointer, h, hkv, d, nnz, scale);
            ParallelFor(b * hkv, (long)longest * (h / hkv) * d * 4, (start, end) => RunDecodeItems(problem, extraSums, longest, start, end));
            if (meanProbs is not null && extraSums is not null)
            {
                Span<float> mean = meanProbs.Span<float>(); // [nnz]
                for (int g = 1; g < hkv; g++) TensorPrimitives.Add(mean, extraSums.AsSpan((g - 1) * nnz, nnz), mean);
            }
        }
        finally
        {
            if (extraSums is not null) ArrayPool<float>.Shared.Return(extraSums);
        }
    }

    private readonly unsafe struct DecodeProblem(float* q, byte* kCache, byte* vCache, bool bf16, int* indptr, int* indices, float* output, float* meanProbs,
        int h, int hkv, int d, int nnz, float scale)
    {
        public readonly float* Q = q; // [B, H, D]
        public readonly byte* KCache = kCache; // [S, Hkv, D] of F32, or of BF16 when Bf16
        public readonly byte* VCache = vCache; // [S, Hkv, D] likewise
        public readonly bool Bf16 = bf16;
        public readonly int* Indptr = indptr; // [B + 1]
        public readonly int* Indices = indices; // [nnz]
        public readonly float* Output = output; // [B, H, D]
        public readonly float* MeanProbs = meanProbs; // [nnz] or null
        public readonly int H = h, Hkv = hkv, D = d, Nnz = nnz;
        public readonly float Scale = scale;
        public int Group => H / Hkv;
        public int ElementSize => Bf16 ? sizeof(ushort) : sizeof(float);

        /// <summary>Where kv head g's share of meanProbs goes: meanProbs itself for head 0, else a row of extraSums; null without meanProbs.</summary>
        public float* SumsRow(int kvHead, float* extraSums) =>
            MeanProbs == null ? null : kvHead == 0 ? MeanProbs : extraSums + (long)(kvHead - 1) * Nnz;
    }

    // Listed slots per P·V pass: their value rows (64 × D floats) stay in L1 while every head batch reads them.
    private const int DecodeSlotTile = 64;

    // Per-thread scratch, pinned so kernels can hold raw pointers; grown on demand, never shrunk.
    [ThreadStatic] private static float[]? t_decodeScratch;

    /// <summary>Work items [start, end) of B × Hkv, item = sequence·Hkv + kv head.</summary>
    private static unsafe void RunDecodeItems(in DecodeProblem p, float[]? extraSums, int longest, int start, int end)
    {
        int g = p.Group, d = p.D;
        int stride = RoundUp16(longest);
        // Scaled queries [G, D], scores then probabilities [G, stride], three dummy output rows [3, D] for head batches
        // short of four, the tile kernels' scratch, four dot products and three [G] rows (max, 1/sum, meanProbs weights).
        int queries = RoundUp16(g * d), probs = g * stride, dummies = RoundUp16(3 * d), tiles = RoundUp16(DecodeTiles.ScratchFloats(g, d));
        int small = RoundUp16(4 + 3 * g);
        // BF16 caches where the tiles cannot run: the group's K and V rows widened to F32 [stride, D] each, plus the
        // identity slot list [stride] that then addresses them.
        int widened = p.Bf16 && !DecodeTiles.CanRun(d) ? 2 * stride * d + stride : 0;
        int need = queries + probs + dummies + tiles + small + widened + 16; // + 16: room to align the start to 64 bytes
        float[] scratch = t_decodeScratch is { } cached && cached.Length >= need ? cached : (t_decodeScratch = GC.AllocateUninitializedArray<float>(need, pinned: true));
        float* s = (float*)(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scratch)) + 63) & ~(nint)63);
        var buffers = new DecodeScratch(s, s + queries, stride, s + queries + probs, s + queries + probs + dummies,
            s + queries + probs + dummies + tiles, g, widened == 0 ? null : s + queries + probs + dummies + tiles + small);
        fixed (float* sums = extraSums)
        {
            for (int item = start; item < end; item++)
                DecodeOneGroup(p, item / p.Hkv, item % p.Hkv, buffers, p.SumsRow(item % p.Hkv, sums));
        }
    }

    private static int RoundUp16(int x) => (x + 15) & ~15;

    private readonly unsafe struct DecodeScratch(float* queries, float* probs, int stride, float* dummyRows, float* tiles, float* small, int g, float* widened)
    {
        public readonly float* Queries = queries; // [G, D]
        public readonly float* Probs = probs; // [G, Stride] for the sequence at hand
        public readonly int Stride = stride;
        public readonly float* DummyRows = dummyRows; // [3, D]
        public readonly float* Tiles = tiles; // DecodeTiles.ScratchFloats(G, D)
        public readonly float* Dots = small; // [4]
        public readonly float* Maxima = small + 4; // [G]
        public readonly float* Weights = small + 4 + g; // [G]: 1/Σ exp per head, for the outputs
        public readonly float* MeanWeights = small + 4 + 2 * g; // [G]: the same over H, for meanProbs
        public readonly float* Widened = widened; // [2, Stride, D] + [Stride] ints, or null (see RunDecodeItems)
    }

    private static unsafe void DecodeOneGroup(in DecodeProblem p, int seq, int kvHead, in DecodeScratch x, float* sums)
    {
        int g = p.Group, d = p.D;
        int first = p.Indptr[seq], n = p.Indptr[seq + 1] - first;
        float* outRows = p.Output + ((long)seq * p.H + kvHead * g) * d; // [G, D]: the group's heads are adjacent
        new Span<float>(outRows, g * d).Clear();
        if (n == 0) return;

        float* qRows = p.Q + ((long)seq * p.H + kvHead * g) * d; // [G, D]
        int size = p.ElementSize;
        nint rowStride = (nint)p.Hkv * d * size; // bytes between consecutive slots' rows
        byte* kBase = p.KCache + kvHead * d * size, vBase = p.VCache + kvHead * d * size; // slot s's row at base + s·rowStride
        int* slots = p.Indices + first; // [n]
        float* probs = x.Probs; // [G, Stride]
        if (sums != null) sums += first; // [n]

        if (DecodeTiles.CanRun(d))
        {
            // Base-2 logits: exp(x·scale) = 2^(x·scale·log2 e), folded into the queries once.
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(qRows, g * d), p.Scale * 1.44269504f, new Span<float>(x.Queries, g * d));
            if (p.Bf16) DecodeTiles.Scores<Bf16KvRows>(x.Queries, g, d, kBase, rowStride, slots, n, probs, x.Stride, x.Tiles, x.Maxima);
            else DecodeTiles.Scores<F32KvRows>(x.Queries, g, d, kBase, rowStride, slots, n, probs, x.Stride, x.Tiles, x.Maxima);
            int padded = RoundUp16(n);
            for (int i = 0; i < g; i++)
            {
                // Unnormalized probabilities; P·V scales the outputs by 1/Σ once at the end.
                float total = DecodeTiles.Exp2Row(probs + i * x.Stride, padded, x.Maxima[i], flush: sums == null);
                x.Weights[i] = 1f / total;
                x.MeanWeights[i] = x.Weights[i] / p.H;
            }
            // DyCoke's scores take every probability; then those below 2^-100 leave the P·V pass (see FlushTiny).
            if (sums != null) DecodeTiles.WeightedSumThenFlush(probs, g, x.Stride, n, x.MeanWeights, sums);
            if (p.Bf16) AccumulateValues<Bf16KvRows>(outRows, probs, x.Stride, g, d, slots, n, vBase, rowStride, x.DummyRows, tiles: true);
            else AccumulateValues<F32KvRows>(outRows, probs, x.Stride, g, d, slots, n, vBase, rowStride, x.DummyRows, tiles: true);
            for (int i = 0; i < g; i++)
            {
                var row = new Span<float>(outRows + i * d, d);
                TensorPrimitives.Multiply(row, x.Weights[i], row);
            }
            return;
        }

        // The portable kernels read F32 rows: BF16 rows are widened first into contiguous scratch rows 0..n−1.
        float* kRows = (float*)kBase, vRows = (float*)vBase;
        nint floatStride = (nint)p.Hkv * d;
        if (p.Bf16)
        {
            kRows = x.Widened;
            vRows = x.Widened + (long)x.Stride * d;
            int* identity = (int*)(x.Widened + 2L * x.Stride * d);
            for (int j = 0; j < n; j++)
            {
                long offset = slots[j] * rowStride;
                GatherRow(kBase + offset, bf16: true, new Span<float>(kRows + (long)j * d, d));
                GatherRow(vBase + offset, bf16: true, new Span<float>(vRows + (long)j * d, d));
                identity[j] = j;
            }
            slots = identity;
            floatStride = d;
        }
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(qRows, g * d), p.Scale, new Span<float>(x.Queries, g * d));
        if (AttentionSimd.CanScoreSlots(d))
            AttentionSimd.SlotScores(x.Queries, g, d, kRows, floatStride, slots, n, probs, x.Stride);
        else
        {
            for (int j = 0; j < n; j++)
            {
                float* k = kRows + slots[j] * floatStride;
                for (int h0 = 0; h0 < g; h0 += 4)
                {
                    int m = Math.Min(4, g - h0);
                    AttentionSimd.Dot4(k, QueryRow(x, h0, 0, m, d), QueryRow(x, h0, 1, m, d), QueryRow(x, h0, 2, m, d), QueryRow(x, h0, 3, m, d), d, x.Dots);
                    for (int i = 0; i < m; i++) probs[(h0 + i) * x.Stride + j] = x.Dots[i];
                }
            }
        }
        for (int i = 0; i < g; i++) AttentionSimd.SoftmaxInPlace(new Span<float>(probs + i * x.Stride, n));
        if (sums != null)
        {
            var mean = new Span<float>(sums, n); // [n]
            mean.Clear();
            for (int i = 0; i < g; i++) TensorPrimitives.Add(mean, new ReadOnlySpan<float>(probs + i * x.Stride, n), mean);
            TensorPrimitives.Multiply(mean, 1f / p.H, mean);
        }
        // DyCoke's scores above keep every probability; the P·V pass drops those below 2^-100, whose subnormal values
        // would make each FMA a microcode assist (a 3× slower step measured on a peaked 1-frame prompt) for a change
        // far below fp32 resolution.
        for (int i = 0; i < g; i++) AttentionSimd.FlushTiny(new Span<float>(probs + i * x.Stride, n));
        AccumulateValues<F32KvRows>(outRows, probs, x.Stride, g, d, slots, n, (byte*)vRows, floatStride * sizeof(float), x.DummyRows, tiles: false);
    }

    /// <summary>
    /// outRows[h] += Σ_j probs[h·stride + j]·(the value row at vBase + slots[j]·rowStride bytes), head batches of four
    /// (then two) per value row: the AVX-512 tile kernels when <paramref name="tiles"/>, else the portable ones, which
    /// read F32 rows only.
    /// </summary>
    private static unsafe void AccumulateValues<TRow>(float* outRows, float* probs, int stride, int g, int d, int* slots, int n,
        byte* vBase, nint rowStride, float* dummyRows, bool tiles) where TRow : IKvRows
    {
        Debug.Assert(tiles || typeof(TRow) == typeof(F32KvRows));
        float* vFloats = (float*)vBase;
        nint floatStride = rowStride / sizeof(float);
        for (int j0 = 0; j0 < n; j0 += DecodeSlotTile)
        {
            int count = Math.Min(DecodeSlotTile, n - j0);
            int h0 = 0;
            for (; h0 + 2 < g; h0 += 4)
            {
                int m = Math.Min(4, g - h0);
                // A batch of three repeats the first head's probabilities into a dummy row.
                float* p0 = probs + h0 * stride + j0;
                float* p1 = p0 + stride, p2 = p0 + 2 * stride, p3 = m > 3 ? p0 + 3 * stride : p0;
                float* o0 = outRows + h0 * d;
                float* o3 = m > 3 ? o0 + 3 * d : dummyRows;
                if (tiles) DecodeTiles.AccumulateHeads4<TRow>(o0, o0 + d, o0 + 2 * d, o3, p0, p1, p2, p3, slots + j0, count, vBase, rowStride, d);
                else AttentionSimd.AccumulateSlots4(o0, o0 + d, o0 + 2 * d, o3, p0, p1, p2, p3, slots + j0, count, vFloats, floatStride, d);
            }
            if (h0 < g)
            {
                // One or two heads left: the two-head kernel, with a dummy row when only one is.
                float* p0 = probs + h0 * stride + j0, o0 = outRows + h0 * d;
                bool two = g - h0 == 2;
                float* o1 = two ? o0 + d : dummyRows, p1 = two ? p0 + stride : p0;
                if (tiles) DecodeTiles.AccumulateHeads2<TRow>(o0, o1, p0, p1, slots + j0, count, vBase, rowStride, d);
                else AttentionSimd.AccumulateSlots2(o0, o1, p0, p1, slots + j0, count, vFloats, floatStride, d);
            }
        }
    }

    /// <summary>Row h0 + i of the scaled queries, or row h0 when the batch has only m &lt;= i heads.</summary>
    private static unsafe float* QueryRow(in DecodeScratch x, int h0, int i, int m, int d) => x.Queries + (i < m ? h0 + i : h0) * d;

    private static void ValidateDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, Tensor output, Tensor? meanProbs)
    {
        CheckCacheAttentionTensors(q, kCache, vCache, output, (kvIndptr, nameof(kvIndptr)), (kvIndices, nameof(kvIndices)));
        TensorCheck.ShapeIs(kvIndptr, new Shape(q.Shape[0] + 1), nameof(kvIndptr));
        long nnz = kvIndices.Shape[0];
        ValidateOffsets(kvIndptr, nnz, nameof(kvIndptr));
        if (meanProbs is not null)
        {
            TensorCheck.OnDevice(meanProbs, DeviceKind.Cpu, nameof(meanProbs));
            TensorCheck.Is(meanProbs, DType.F32, nameof(meanProbs));
            TensorCheck.ShapeIs(meanProbs, new Shape(nnz), nameof(meanProbs));
        }
        CheckSlotsInCache(kvIndices, kCache);
    }

    /// <summary>
    /// The checks every CPU op over a paged KV cache starts with: q and output F32, the caches both F32 or both BF16
    /// (<see cref="CheckKvCacheDTypes"/>), all rank 3 with matching shapes (<see cref="TensorCheck.CacheAttentionShapes"/>),
    /// the index lists I32 rank 1, all on the CPU.
    /// </summary>
    private static void CheckCacheAttentionTensors(Tensor q, Tensor kCache, Tensor vCache, Tensor output, params ReadOnlySpan<(Tensor Tensor, string Name)> indexLists)
    {
        foreach (var (tensor, name) in new[] { (q, nameof(q)), (kCache, nameof(kCache)), (vCache, nameof(vCache)), (output, nameof(output)) })
        {
            TensorCheck.OnDevice(tensor, DeviceKind.Cpu, name);
            TensorCheck.Rank(tensor, 3, name);
        }
        TensorCheck.Is(q, DType.F32, nameof(q));
        TensorCheck.Is(output, DType.F32, nameof(output));
        CheckKvCacheDTypes(kCache, vCache);
        foreach (var (tensor, name) in indexLists)
        {
            TensorCheck.OnDevice(tensor, DeviceKind.Cpu, name);
            TensorCheck.IndexVector(tensor, name);
        }
        TensorCheck.CacheAttentionShapes(q, kCache, vCache, output);
    }

    /// <summary>The CPU's KV-cache element types: F32, or BF16 (half the bytes per decode step); K and V alike.</summary>
    private static void CheckKvCacheDTypes(Tensor kCache, Tensor vCache)
    {
        if (kCache.DType is not (DType.F32 or DType.BF16))
            throw new ArgumentException($"kCache is {kCache.DType}; the CPU backend keeps its KV cache in F32 or BF16", nameof(kCache));
        TensorCheck.Is(vCache, kCache.DType, nameof(vCache));
    }

    /// <summary>Every listed slot lies in [0, S) of kCache [S, Hkv, D].</summary>
    private static void CheckSlotsInCache(Tensor kvIndices, Tensor kCache)
    {
        long s = kCache.Shape[0];
        ReadOnlySpan<int> slots = kvIndices.Span<int>(); // [nnz]
        // One vectorized unsigned max (negative slots read as huge); the scalar search runs only to name a bad entry.
        if (slots.IsEmpty || TensorPrimitives.Max(MemoryMarshal.Cast<int, uint>(slots)) < (ulong)s) return;
        for (int j = 0; j < slots.Length; j++)
        {
            if ((uint)slots[j] >= (ulong)s)
                throw new ArgumentOutOfRangeException(nameof(kvIndices), slots[j], $"kvIndices[{j}] is outside the cache of {s} slots {kCache.Shape}");
        }
    }
}
