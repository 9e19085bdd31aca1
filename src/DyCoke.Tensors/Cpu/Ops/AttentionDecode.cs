// CPU decode attention over per-sequence slot lists (CSR kvIndptr/kvIndices, page size 1), one work item per
// (sequence, kv head) so each cached K/V row is read once for its whole GQA group; optionally DyCoke's mean-over-heads
// attention probabilities (dycoke-algorithm.md §4), the score that decides which visual tokens stay in the cache.
using System.Buffers;
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// out[b, h] = Σ_j softmax_j(q[b, h]·kCache[s_j, g]·scale)·vCache[s_j, g], s_j = kvIndices[j] for j in
    /// [kvIndptr[b], kvIndptr[b + 1]), g = h / (H / Hkv). A sequence with no slots gets an all-zero output row (and
    /// has no meanProbs entries). When meanProbs [nnz] is given, meanProbs[j] = (1/H)·Σ_h softmax probability of listed
    /// slot j for head h, so each sequence's entries sum to 1. A slot listed twice counts twice, as in a gather.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not an F32 (I32 for the index lists) CPU tensor, the shapes
    /// disagree, H is not a positive multiple of Hkv, kvIndptr does not rise from 0 to nnz, or a slot is outside [0, S).</exception>
    public unsafe void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs)
    {
        ValidateDecode(q, kCache, vCache, kvIndptr, kvIndices, output, meanProbs);
        int b = (int)q.Shape[0], h = (int)q.Shape[1], d = (int)q.Shape[2], hkv = (int)kCache.Shape[1];
        int nnz = (int)kvIndices.Shape[0];
        ReadOnlySpan<int> indptr = kvIndptr.Span<int>(); // [B + 1]
        int longest = 0;
        for (int i = 0; i < b; i++) longest = Math.Max(longest, indptr[i + 1] - indptr[i]);

        // Per kv head, the sum of its group's probabilities: groups run in parallel, so they cannot add into one row.
        float[]? groupSums = meanProbs is null ? null : ArrayPool<float>.Shared.Rent(hkv * nnz); // [Hkv, nnz]
        try
        {
            var problem = new DecodeProblem(
                (float*)q.Pointer, (float*)kCache.Pointer, (float*)vCache.Pointer, (int*)kvIndptr.Pointer, (int*)kvIndices.Pointer,
                (float*)output.Pointer, h, hkv, d, nnz, scale);
            ParallelFor(b * hkv, (long)longest * (h / hkv) * d * 4, (start, end) => RunDecodeItems(problem, groupSums, longest, start, end));
            if (meanProbs is not null && groupSums is not null)
            {
                Span<float> mean = meanProbs.Span<float>(); // [nnz]
                groupSums.AsSpan(0, nnz).CopyTo(mean);
                for (int g = 1; g < hkv; g++) TensorPrimitives.Add(mean, groupSums.AsSpan(g * nnz, nnz), mean);
                TensorPrimitives.Divide(mean, (float)h, mean);
            }
        }
        finally
        {
            if (groupSums is not null) ArrayPool<float>.Shared.Return(groupSums);
        }
    }

    private readonly unsafe struct DecodeProblem(float* q, float* kCache, float* vCache, int* indptr, int* indices, float* output, int h, int hkv, int d, int nnz, float scale)
    {
        public readonly float* Q = q; // [B, H, D]
        public readonly float* KCache = kCache; // [S, Hkv, D]
        public readonly float* VCache = vCache; // [S, Hkv, D]
        public readonly int* Indptr = indptr; // [B + 1]
        public readonly int* Indices = indices; // [nnz]
        public readonly float* Output = output; // [B, H, D]
        public readonly int H = h, Hkv = hkv, D = d, Nnz = nnz;
        public readonly float Scale = scale;
        public int Group => H / Hkv;
    }

    // Listed slots per P·V pass: their value rows (64 × D floats) stay in L1 while every head batch reads them.
    private const int DecodeSlotTile = 64;

    /// <summary>Work items [start, end) of B × Hkv, item = sequence·Hkv + kv head.</summary>
    private static unsafe void RunDecodeItems(in DecodeProblem p, float[]? groupSums, int longest, int start, int end)
    {
        int g = p.Group, d = p.D;
        // Scaled queries of the group [G, D], their scores then probabilities [G, longest], three dummy output rows
        // [3, D] for head batches short of four, and four dot products.
        float[] scratch = ArrayPool<float>.Shared.Rent(g * d + g * longest + 3 * d + 4);
        fixed (float* s = scratch)
        fixed (float* sums = groupSums)
        {
            var buffers = new DecodeScratch(s, s + g * d, s + g * d + g * longest, s + g * d + g * longest + 3 * d);
            for (int item = start; item < end; item++)
                DecodeOneGroup(p, item / p.Hkv, item % p.Hkv, buffers, sums);
        }
        ArrayPool<float>.Shared.Return(scratch);
    }

    private readonly unsafe struct DecodeScratch(float* queries, float* probs, float* dummyRows, float* dots)
    {
        public readonly float* Queries = queries; // [G, D]
        public readonly float* Probs = probs; // [G, n] for the sequence at hand
        public readonly float* DummyRows = dummyRows; // [3, D]
        public readonly float* Dots = dots; // [4]
    }

    private static unsafe void DecodeOneGroup(in DecodeProblem p, int seq, int kvHead, in DecodeScratch x, float* groupSums)
    {
        int g = p.Group, d = p.D;
        int first = p.Indptr[seq], n = p.Indptr[seq + 1] - first;
        float* outRows = p.Output + ((long)seq * p.H + kvHead * g) * d; // [G, D]: the group's heads are adjacent
        new Span<float>(outRows, g * d).Clear();
        if (n == 0) return;

        float* qRows = p.Q + ((long)seq * p.H + kvHead * g) * d; // [G, D]
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(qRows, g * d), p.Scale, new Span<float>(x.Queries, g * d));
        nint rowStride = (nint)p.Hkv * d;
        float* kBase = p.KCache + kvHead * d, vBase = p.VCache + kvHead * d; // slot s's row at base + s·rowStride
        int* slots = p.Indices + first; // [n]
        float* probs = x.Probs; // [G, n]

        if (AttentionSimd.CanScoreSlots(d))
            AttentionSimd.SlotScores(x.Queries, g, d, kBase, rowStride, slots, n, probs);
        else
        {
            for (int j = 0; j < n; j++)
            {
                float* k = kBase + slots[j] * rowStride;
                for (int h0 = 0; h0 < g; h0 += 4)
                {
                    int m = Math.Min(4, g - h0);
                    AttentionSimd.Dot4(k, QueryRow(x, h0, 0, m, d), QueryRow(x, h0, 1, m, d), QueryRow(x, h0, 2, m, d), QueryRow(x, h0, 3, m, d), d, x.Dots);
                    for (int i = 0; i < m; i++) probs[(h0 + i) * n + j] = x.Dots[i];
                }
            }
        }
        for (int i = 0; i < g; i++) AttentionSimd.SoftmaxInPlace(new Span<float>(probs + i * n, n));
        if (groupSums is not null)
        {
            var sums = new Span<float>(groupSums + (long)kvHead * p.Nnz + first, n); // [n]
            sums.Clear();
            for (int i = 0; i < g; i++) TensorPrimitives.Add(sums, new ReadOnlySpan<float>(probs + i * n, n), sums);
        }
        // DyCoke's scores above keep every probability; the P·V pass drops those below 2^-100, whose subnormal values
        // would make each FMA a microcode assist (a 3× slower step measured on a peaked 1-frame prompt) for a change
        // far below fp32 resolution.
        AttentionSimd.FlushTiny(new Span<float>(probs, g * n));

        for (int j0 = 0; j0 < n; j0 += DecodeSlotTile)
        {
            int count = Math.Min(DecodeSlotTile, n - j0);
            int h0 = 0;
            for (; h0 + 2 < g; h0 += 4)
            {
                int m = Math.Min(4, g - h0);
                // A batch of three repeats the first head's probabilities into a dummy row.
                float* p0 = probs + h0 * n + j0;
                float* p1 = p0 + n, p2 = p0 + 2 * n, p3 = m > 3 ? p0 + 3 * n : p0;
                float* o0 = outRows + h0 * d;
                float* o3 = m > 3 ? o0 + 3 * d : x.DummyRows;
                AttentionSimd.AccumulateSlots4(o0, o0 + d, o0 + 2 * d, o3, p0, p1, p2, p3, slots + j0, count, vBase, rowStride, d);
            }
            if (h0 < g)
            {
                // One or two heads left: the two-head kernel, with a dummy row when only one is.
                float* p0 = probs + h0 * n + j0, o0 = outRows + h0 * d;
                bool two = g - h0 == 2;
                AttentionSimd.AccumulateSlots2(o0, two ? o0 + d : x.DummyRows, p0, two ? p0 + n : p0, slots + j0, count, vBase, rowStride, d);
            }
        }

    }

    /// <summary>Row h0 + i of the scaled queries, or row h0 when the batch has only m &lt;= i heads.</summary>
    private static unsafe float* QueryRow(in DecodeScratch x, int h0, int i, int m, int d) => x.Queries + (i < m ? h0 + i : h0) * d;

    private static void ValidateDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, Tensor output, Tensor? meanProbs)
    {
        (Tensor Tensor, string Name)[] floats = [(q, nameof(q)), (kCache, nameof(kCache)), (vCache, nameof(vCache)), (output, nameof(output))];
        foreach (var (tensor, name) in floats)
        {
            TensorCheck.OnDevice(tensor, DeviceKind.Cpu, name);
            TensorCheck.Is(tensor, DType.F32, name);
            TensorCheck.Rank(tensor, 3, name);
        }
        foreach (var (tensor, name) in new[] { (kvIndptr, nameof(kvIndptr)), (kvIndices, nameof(kvIndices)) })
        {
            TensorCheck.OnDevice(tensor, DeviceKind.Cpu, name);
            TensorCheck.Is(tensor, DType.I32, name);
            TensorCheck.Rank(tensor, 1, name);
        }
        long b = q.Shape[0], h = q.Shape[1], d = q.Shape[2], s = kCache.Shape[0], hkv = kCache.Shape[1];
        if (kCache.Shape[2] != d)
            throw new ArgumentException($"kCache has shape {kCache.Shape}, expected [S, Hkv, {d}] to match q {q.Shape}", nameof(kCache));
        TensorCheck.SameShape(kCache, vCache, nameof(kCache), nameof(vCache));
        TensorCheck.SameShape(q, output, nameof(q), nameof(output));
        if (h == 0 || hkv == 0 || h % hkv != 0)
            throw new ArgumentException($"q has {h} heads, expected a positive multiple of the {hkv} kv heads of kCache {kCache.Shape}", nameof(q));
        TensorCheck.ShapeIs(kvIndptr, new Shape(b + 1), nameof(kvIndptr));
        long nnz = kvIndices.Shape[0];
        ValidateOffsets(kvIndptr, nnz, nameof(kvIndptr));
        if (meanProbs is not null)
        {
            TensorCheck.OnDevice(meanProbs, DeviceKind.Cpu, nameof(meanProbs));
            TensorCheck.Is(meanProbs, DType.F32, nameof(meanProbs));
            TensorCheck.ShapeIs(meanProbs, new Shape(nnz), nameof(meanProbs));
        }
        ReadOnlySpan<int> slots = kvIndices.Span<int>(); // [nnz]
        for (int j = 0; j < slots.Length; j++)
        {
            if ((uint)slots[j] >= (ulong)s)
                throw new ArgumentOutOfRangeException(nameof(kvIndices), slots[j], $"kvIndices[{j}] is outside the cache of {s} slots {kCache.Shape}");
        }
    }
}
