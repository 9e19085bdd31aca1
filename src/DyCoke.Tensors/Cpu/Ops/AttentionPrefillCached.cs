// CPU chunked-prefill attention: a chunk's queries attend causally over their sequence's cached context (an earlier
// prefix plus the chunk itself), addressed by slot lists as in decode. Same flash-style tiling and online softmax as
// AttentionPrefill; each key tile is first gathered from its scattered slots into contiguous rows.
using System.Buffers;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// out[i, h] = Σ_j softmax_j(q[i, h]·kCache[s_j, g]·scale)·vCache[s_j, g], g = h / (H / Hkv), over the context
    /// slots s_j = kvIndices[kvIndptr[b] + j] of the query's sequence b with j ≤ ctx_b − q_b + i (i counted within
    /// the sequence's cuSeqLens range). q, out [T, H, D]; caches [S, Hkv, D]. Sequences with no queries are allowed.
    /// Deterministic: the result does not depend on the thread count.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not an F32 (I32 for the offsets and slots; F32 or BF16 for the
    /// caches) CPU tensor, the shapes
    /// disagree, H is not a positive multiple of Hkv, an offset vector does not rise from 0 to its total, a sequence
    /// has fewer context slots than queries, or a slot is outside [0, S).</exception>
    public unsafe void AttentionPrefillCached(Tensor q, Tensor kCache, Tensor vCache, Tensor cuSeqLens, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output)
    {
        ValidatePrefillCached(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, output);
        int h = (int)q.Shape[1], d = (int)q.Shape[2], hkv = (int)kCache.Shape[1];
        int bq = AttentionSimd.QueryBlock;
        ReadOnlySpan<int> cu = cuSeqLens.Span<int>(); // [B + 1]
        ReadOnlySpan<int> indptr = kvIndptr.Span<int>(); // [B + 1]

        int blocks = 0, longest = 0;
        for (int b = 0; b + 1 < cu.Length; b++)
        {
            blocks += (cu[b + 1] - cu[b] + bq - 1) / bq;
            longest = Math.Max(longest, indptr[b + 1] - indptr[b]);
        }
        if (blocks == 0) return;

        // Per query block: first row, one past its last row (global), where its context starts in kvIndices, and the
        // context position of its first row.
        int[] table = ArrayPool<int>.Shared.Rent(4 * blocks); // [blocks, 4]
        try
        {
            int next = 0;
            for (int b = 0; b + 1 < cu.Length; b++)
            {
                int prefix = indptr[b + 1] - indptr[b] - (cu[b + 1] - cu[b]);
                for (int r = cu[b]; r < cu[b + 1]; r += bq, next++)
                {
                    table[4 * next] = r;
                    table[4 * next + 1] = Math.Min(r + bq, cu[b + 1]);
                    table[4 * next + 2] = indptr[b];
                    table[4 * next + 3] = prefix + r - cu[b];
                }
            }
            var problem = new CachedPrefillProblem((float*)q.Pointer, (byte*)kCache.Pointer, (byte*)vCache.Pointer, kCache.DType == DType.BF16, (int*)kvIndices.Pointer,
                (float*)output.Pointer, h, hkv, d, scale, bq);
            long work = (long)bq * longest * d * 4;
            ParallelFor(blocks * h, work, (start, end) => RunCachedPrefillItems(problem, table, start, end));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(table);
        }
    }

    private readonly unsafe struct CachedPrefillProblem(float* q, byte* kCache, byte* vCache, bool bf16, int* indices, float* output, int h, int hkv, int d, float scale, int bq)
    {
        public readonly float* Q = q; // [T, H, D]
        public readonly byte* KCache = kCache; // [S, Hkv, D] of F32, or of BF16 when Bf16
        public readonly byte* VCache = vCache; // [S, Hkv, D] likewise
        public readonly bool Bf16 = bf16;
        public readonly int* Indices = indices; // [nnz]
        public readonly float* Output = output; // [T, H, D]
        public readonly int H = h, Hkv = hkv, D = d, Bq = bq;
        public readonly float Scale = scale;
    }

    private readonly record struct CachedPrefillBlock(int QueryStart, int QueryEnd, int ContextStart, int FirstPosition);

    /// <summary>Work items [start, end) of blocks × H, item = block·H + head.</summary>
    private static unsafe void RunCachedPrefillItems(in CachedPrefillProblem p, int[] table, int start, int end)
    {
        int d = p.D, bq = p.Bq;
        // As in AttentionPrefill, plus the gathered K and V rows of one tile [KeyTile, D] each.
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * d * bq + PrefillKeyTile * bq + 3 * bq + 2 * PrefillKeyTile * d);
        fixed (float* s = scratch)
        {
            var buffers = new PrefillScratch(s, d, bq);
            float* kTile = s + 2 * d * bq + PrefillKeyTile * bq + 3 * bq; // [KeyTile, D]
            float* vTile = kTile + PrefillKeyTile * d; // [KeyTile, D]
            for (int item = start; item < end; item++)
            {
                int block = item / p.H, head = item % p.H;
                var rows = new CachedPrefillBlock(table[4 * block], table[4 * block + 1], table[4 * block + 2], table[4 * block + 3]);
                CachedPrefillOneBlock(p, rows, head, buffers, kTile, vTile);
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }

    private static unsafe void CachedPrefillOneBlock(in CachedPrefillProblem p, CachedPrefillBlock rows, int head, in PrefillScratch x, float* kTile, float* vTile)
    {
        int d = p.D, bq = p.Bq, nq = rows.QueryEnd - rows.QueryStart;
        int kvHead = head / (p.H / p.Hkv);
        int size = p.Bf16 ? sizeof(ushort) : sizeof(float);
        nint rowStride = (nint)p.Hkv * d * size; // bytes between consecutive slots' rows of one kv head
        byte* kBase = p.KCache + kvHead * d * size, vBase = p.VCache + kvHead * d * size;
        int* slots = p.Indices + rows.ContextStart; // context position j lives in slots[j]

        // Lanes past the block's last query hold q = 0: their scores stay finite and their outputs are dropped.
        new Span<float>(x.QT, d * bq).Clear();
        for (int r = 0; r < nq; r++)
        {
            float* src = p.Q + ((long)(rows.QueryStart + r) * p.H + head) * d;
            for (int i = 0; i < d; i++) x.QT[i * bq + r] = src[i] * p.Scale;
        }
        new Span<float>(x.AccT, d * bq).Clear();
        new Span<float>(x.Max, bq).Fill(float.NegativeInfinity);
        new Span<float>(x.Sum, bq).Clear();

        int keyEnd = rows.FirstPosition + nq; // one past the block's last query position
        for (int j0 = 0; j0 < keyEnd; j0 += PrefillKeyTile)
        {
            int nk = Math.Min(PrefillKeyTile, keyEnd - j0);
            for (int c = 0; c < nk; c++)
            {
                long offset = slots[j0 + c] * rowStride;
                GatherRow(kBase + offset, p.Bf16, new Span<float>(kTile + c * d, d));
                GatherRow(vBase + offset, p.Bf16, new Span<float>(vTile + c * d, d));
            }
            AttentionSimd.ScoresTransposed(kTile, d, nk, x.QT, x.ScoresT, d, bq);
            if (j0 + nk - 1 > rows.FirstPosition)
                MaskFutureKeys(x.ScoresT, nk, bq, j0 - rows.FirstPosition);
            AttentionSimd.OnlineSoftmaxTransposed(x.ScoresT, nk, bq, x.Max, x.Sum, x.Rescale);
            AttentionSimd.AccumulateTransposed(x.AccT, x.Rescale, vTile, d, nk, x.ScoresT, d, bq);
        }

        for (int r = 0; r < nq; r++)
        {
            float* dst = p.Output + ((long)(rows.QueryStart + r) * p.H + head) * d;
            float inv = 1f / x.Sum[r];
            for (int i = 0; i < d; i++) dst[i] = x.AccT[i * bq + r] * inv;
        }
    }

    /// <summary>One cached row into F32: a copy, or the exact BF16 widening.</summary>
    private static unsafe void GatherRow(byte* row, bool bf16, Span<float> destination)
    {
        if (bf16) DTypeConversion.ConvertBF16ToF32(new ReadOnlySpan<ushort>(row, destination.Length), destination);
        else new ReadOnlySpan<float>(row, destination.Length).CopyTo(destination);
    }

    private static void ValidatePrefillCached(Tensor q, Tensor kCache, Tensor vCache, Tensor cuSeqLens, Tensor kvIndptr, Tensor kvIndices, Tensor output)
    {
        CheckCacheAttentionTensors(q, kCache, vCache, output, (cuSeqLens, nameof(cuSeqLens)), (kvIndptr, nameof(kvIndptr)), (kvIndices, nameof(kvIndices)));
        ValidateOffsets(cuSeqLens, q.Shape[0], nameof(cuSeqLens));
        TensorCheck.ShapeIs(kvIndptr, cuSeqLens.Shape, nameof(kvIndptr));
        ValidateOffsets(kvIndptr, kvIndices.Shape[0], nameof(kvIndptr));
        ReadOnlySpan<int> cu = cuSeqLens.Span<int>(), indptr = kvIndptr.Span<int>(); // [B + 1] each
        for (int b = 0; b + 1 < cu.Length; b++)
        {
            if (indptr[b + 1] - indptr[b] < cu[b + 1] - cu[b])
                throw new ArgumentException($"sequence {b} has {cu[b + 1] - cu[b]} queries but only {indptr[b + 1] - indptr[b]} context slots; the context must include the chunk", nameof(kvIndptr));
        }
        CheckSlotsInCache(kvIndices, kCache);
    }
}
