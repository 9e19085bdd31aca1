// AVX-512 kernels of CPU decode attention when D is a multiple of 16: slots in tiles of 16 so one zmm holds a head's 16
// scores, a shuffle/add tree instead of a horizontal sum per slot, a fused base-2 exp/sum pass, and P·V with
// probability broadcasts. Callers check CanRun; AttentionSimd keeps the portable path.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu;

internal static unsafe class DecodeTiles
{
    /// <summary>Slots per score tile: one 512-bit vector of fp32 scores.</summary>
    public const int Tile = 16;

    /// <summary>Probabilities below 2^-100 are dropped from P·V (see AttentionDecode: subnormal FMAs are micro-coded).</summary>
    private const float Tiny = 7.888609e-31f;

    /// <summary>Whether these kernels can run: AVX-512F with 512-bit vectors accelerated, and D a multiple of 16.</summary>
    public static bool CanRun(int d) => Avx512F.IsSupported && Vector512.IsHardwareAccelerated && d % 16 == 0;

    /// <summary>Floats of scratch <see cref="Scores"/> needs: query variants [G, D/16, 4, 16], a K tile [D/16, 4, 4, 16], max lanes [G, 16].</summary>
    public static int ScratchFloats(int g, int d) => g * d * 4 + Tile * d + g * Tile;

    /// <summary>
    /// scores[h·stride + j] = q[h]·(the K row at kBase + slots[j]·rowStride bytes) for h &lt; G, j &lt; n, and −∞ for
    /// n ≤ j &lt; ⌈n/16⌉·16; maxima[h] = max over j of row h. q [G, D]; K rows of D <typeparamref name="TRow"/>
    /// elements; scores [G, stride], stride ≥ ⌈n/16⌉·16; scratch of <see cref="ScratchFloats"/>, 64-byte aligned.
    /// </summary>
    /// <remarks>
    /// Summing 16 per-slot product vectors into one vector of 16 scores takes four levels of blend + permute + add.
    /// Blends and permutes commute with a lane-wise product when the query is permuted the same way, so the first two
    /// levels run once per tile on the K rows (shared by the G heads) against four permuted copies of each query; each
    /// head then does only the last two levels. Groups of exactly two heads (the demo model's G = 2) keep the
    /// transformed tile in registers (<see cref="ScoresTwoHeads{TRow}"/>); other groups stage it in scratch, where
    /// every head reads it. <paramref name="registerPath"/> false forces the scratch path (tests compare the two).
    /// </remarks>
    public static void Scores<TRow>(float* q, int g, int d, byte* kBase, nint rowStride, int* slots, int n, float* scores, int stride, float* scratch, float* maxima,
        bool registerPath = true)
        where TRow : IKvRows
    {
        Debug.Assert(CanRun(d) && n > 0);
        int chunks = d / 16;
        float* variants = scratch; // [G, D/16, 4, 16]: per 16-dim chunk the query under the four lane maps of the tile
        float* kTile = variants + g * d * 4; // [D/16, 4 groups, 4, 16]
        float* maxLanes = kTile + Tile * d; // [G, 16]
        // A tile vector's lane l holds element map(l) of its slot's chunk (see TransformTile): lo, hi, then both with
        // lanes l ^ 4 (the partner blocks of the second level).
        var mapLo = Vector512.Create(0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
        var mapHi = Vector512.Create(4, 5, 6, 7, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15);
        var mapLoSwap = Vector512.Create(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3);
        var mapHiSwap = Vector512.Create(12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15, 4, 5, 6, 7);
        for (int h = 0; h < g; h++)
        {
            for (int c = 0; c < chunks; c++)
            {
                var v = Vector512.Load(q + h * d + c * 16);
                float* dst = variants + (h * chunks + c) * 64;
                Avx512F.PermuteVar16x32(v, mapLo).Store(dst);
                Avx512F.PermuteVar16x32(v, mapHi).Store(dst + 16);
                Avx512F.PermuteVar16x32(v, mapLoSwap).Store(dst + 32);
                Avx512F.PermuteVar16x32(v, mapHiSwap).Store(dst + 48);
            }
            Vector512.Create(float.NegativeInfinity).Store(maxLanes + h * Tile);
        }

        if (g == 2 && registerPath)
        {
            ScoresTwoHeads<TRow>(variants, chunks, kBase, rowStride, slots, n, scores, stride, maxima);
            return;
        }
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        int* padded = stackalloc int[Tile];
        for (int j0 = 0; j0 < n; j0 += Tile)
        {
            int* tileSlots = TileSlots(slots, j0, n, padded, out int count);
            TransformTile<TRow>(kBase, rowStride, tileSlots, chunks, kTile);
            var valid = Vector512.LessThan(lanes, Vector512.Create(count)).AsSingle();
            for (int h = 0; h < g; h++)
            {
                Vector512<float> s = HeadScores(variants + h * chunks * 64, kTile, chunks);
                if (count < Tile) s = Vector512.ConditionalSelect(valid, s, Vector512.Create(float.NegativeInfinity));
                s.Store(scores + h * stride + j0);
                Avx512F.Max(Vector512.Load(maxLanes + h * Tile), s).Store(maxLanes + h * Tile);
            }
        }
        for (int h = 0; h < g; h++) maxima[h] = HorizontalMax(Vector512.Load(maxLanes + h * Tile));
    }

    /// <summary>
    /// <see cref="Scores"/> for a group of two heads: each transformed K vector is multiplied into both heads'
    /// sums while it is in a register, so the tile never makes the round trip through scratch (16 stores and 16·G loads
    /// per tile; 5.3 → 4.3 ns per (slot, kv head) on the demo's D = 16, G = 2, docs/benchmarks.md). The products are summed in the scratch path's order, so both paths
    /// give bit-identical scores.
    /// </summary>
    private static void ScoresTwoHeads<TRow>(float* variants, int chunks, byte* kBase, nint rowStride, int* slots, int n, float* scores, int stride, float* maxima)
        where TRow : IKvRows
    {
        float* v0 = variants, v1 = variants + chunks * 64; // [D/16, 4, 16] each
        float* s0 = scores, s1 = scores + stride; // [stride] each
        int chunkBytes = 16 * TRow.ElementSize;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var negInf = Vector512.Create(float.NegativeInfinity);
        Vector512<float> max0 = negInf, max1 = negInf;
        int* padded = stackalloc int[Tile];
        for (int j0 = 0; j0 < n; j0 += Tile)
        {
            int* tileSlots = TileSlots(slots, j0, n, padded, out int count);
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0; // head 0: r, t
            Vector512<float> c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0; // head 1: r, t
            for (int c = 0; c < chunks; c++)
            {
                float* q0 = v0 + c * 64, q1 = v1 + c * 64;
                nint offset = c * chunkBytes;
                Group<TRow>(kBase, rowStride, tileSlots, 0, offset, q0, q1, ref a0, ref b0, ref c0, ref d0);
                Group<TRow>(kBase, rowStride, tileSlots, 1, offset, q0, q1, ref a1, ref b1, ref c1, ref d1);
                Group<TRow>(kBase, rowStride, tileSlots, 2, offset, q0, q1, ref a2, ref b2, ref c2, ref d2);
                Group<TRow>(kBase, rowStride, tileSlots, 3, offset, q0, q1, ref a3, ref b3, ref c3, ref d3);
            }
            Vector512<float> h0 = Level1(Level2(a0 + b0, a2 + b2), Level2(a1 + b1, a3 + b3));
            Vector512<float> h1 = Level1(Level2(c0 + d0, c2 + d2), Level2(c1 + d1, c3 + d3));
            if (count < Tile)
            {
                var valid = Vector512.LessThan(lanes, Vector512.Create(count)).AsSingle();
                h0 = Vector512.ConditionalSelect(valid, h0, negInf);
                h1 = Vector512.ConditionalSelect(valid, h1, negInf);
            }
            h0.Store(s0 + j0);
            h1.Store(s1 + j0);
            max0 = Avx512F.Max(max0, h0);
            max1 = Avx512F.Max(max1, h1);
        }
        maxima[0] = HorizontalMax(max0);
        maxima[1] = HorizontalMax(max1);
    }

    /// <summary>
    /// The 16 slots of the tile at j0: the list itself, or for a short last tile (count &lt; 16) the list's tail with its
    /// last slot repeated into <paramref name="padded"/>; the callers set those lanes to −∞, so they weigh nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int* TileSlots(int* slots, int j0, int n, int* padded, out int count)
    {
        count = Math.Min(Tile, n - j0);
        int* tileSlots = slots + j0;
        if (count == Tile) return tileSlots;
        for (int i = 0; i < Tile; i++) padded[i] = tileSlots[Math.Min(i, count - 1)];
        return padded;
    }

    /// <summary>Slot group r of a tile (slots r, r + 4, r + 8, r + 12) at one 16-dim chunk, into both heads' sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group<TRow>(byte* kBase, nint rowStride, int* slots, int r, nint offset, float* q0, float* q1,
        ref Vector512<float> r0, ref Vector512<float> t0, ref Vector512<float> r1, ref Vector512<float> t1) where TRow : IKvRows
    {
        TRow.LoadPair(kBase + slots[r] * rowStride + offset, kBase + slots[r + 8] * rowStride + offset, out var loAb, out var hiAb);
        TRow.LoadPair(kBase + slots[r + 4] * rowStride + offset, kBase + slots[r + 12] * rowStride + offset, out var loEf, out var hiEf);
        Vector512<float> blo = Blend4(loAb, loEf), bhi = Blend4(hiAb, hiEf), plo = Partner4(loAb, loEf), phi = Partner4(hiAb, hiEf);
        r0 = Vector512.FusedMultiplyAdd(Vector512.Load(q0 + 16), bhi, Vector512.FusedMultiplyAdd(Vector512.Load(q0), blo, r0));
        t0 = Vector512.FusedMultiplyAdd(Vector512.Load(q0 + 48), phi, Vector512.FusedMultiplyAdd(Vector512.Load(q0 + 32), plo, t0));
        r1 = Vector512.FusedMultiplyAdd(Vector512.Load(q1 + 16), bhi, Vector512.FusedMultiplyAdd(Vector512.Load(q1), blo, r1));
        t1 = Vector512.FusedMultiplyAdd(Vector512.Load(q1 + 48), phi, Vector512.FusedMultiplyAdd(Vector512.Load(q1 + 32), plo, t1));
    }

    /// <summary>
    /// The first two tree levels on the tile's K rows: group r (slots r, r + 4, r + 8, r + 12) becomes four vectors
    /// per 16-dim chunk, to be multiplied by the query under the lane maps lo, hi, lo ^ 4 and hi ^ 4 and summed.
    /// </summary>
    /// <remarks>
    /// Level one pairs elements i and i + 4 (i mod 8 &lt; 4) of a slot: <see cref="IKvRows.LoadPair"/> puts slots r and
    /// r + 8 side by side, split that way, so the lane-wise sum of lo·q_lo and hi·q_hi holds their eight partial sums.
    /// Level two blends and swaps four-lane blocks with slots r + 4 and r + 12. F32 and BF16 rows pair alike, so both
    /// caches sum the same products in the same order (bit-identical results over the same values).
    /// </remarks>
    private static void TransformTile<TRow>(byte* kBase, nint rowStride, int* slots, int chunks, float* kTile) where TRow : IKvRows
    {
        int chunkBytes = 16 * TRow.ElementSize;
        for (int r = 0; r < 4; r++)
        {
            byte* k0 = kBase + slots[r] * rowStride, k4 = kBase + slots[r + 4] * rowStride;
            byte* k8 = kBase + slots[r + 8] * rowStride, k12 = kBase + slots[r + 12] * rowStride;
            for (int c = 0; c < chunks; c++)
            {
                TRow.LoadPair(k0 + c * chunkBytes, k8 + c * chunkBytes, out var loAb, out var hiAb);
                TRow.LoadPair(k4 + c * chunkBytes, k12 + c * chunkBytes, out var loEf, out var hiEf);
                float* dst = kTile + (c * 4 + r) * 64;
                Blend4(loAb, loEf).Store(dst);
                Blend4(hiAb, hiEf).Store(dst + 16);
                Partner4(loAb, loEf).Store(dst + 32);
                Partner4(hiAb, hiEf).Store(dst + 48);
            }
        }
    }

    /// <summary>One head's 16 scores from the transformed tile: four groups of partial sums, then tree levels 2 and 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HeadScores(float* variants, float* kTile, int chunks)
    {
        // Two chains per group (q·, q^8·) and (q^4·, q^12·) so the FMA latency hides behind eight independent sums.
        Vector512<float> r0 = Vector512<float>.Zero, r1 = r0, r2 = r0, r3 = r0, t0 = r0, t1 = r0, t2 = r0, t3 = r0;
        for (int c = 0; c < chunks; c++)
        {
            float* qv = variants + c * 64, kt = kTile + c * 256;
            Vector512<float> qa = Vector512.Load(qv), qb = Vector512.Load(qv + 16), qc = Vector512.Load(qv + 32), qd = Vector512.Load(qv + 48);
            r0 = Vector512.FusedMultiplyAdd(qb, Vector512.Load(kt + 16), Vector512.FusedMultiplyAdd(qa, Vector512.Load(kt), r0));
            t0 = Vector512.FusedMultiplyAdd(qd, Vector512.Load(kt + 48), Vector512.FusedMultiplyAdd(qc, Vector512.Load(kt + 32), t0));
            r1 = Vector512.FusedMultiplyAdd(qb, Vector512.Load(kt + 80), Vector512.FusedMultiplyAdd(qa, Vector512.Load(kt + 64), r1));
            t1 = Vector512.FusedMultiplyAdd(qd, Vector512.Load(kt + 112), Vector512.FusedMultiplyAdd(qc, Vector512.Load(kt + 96), t1));
            r2 = Vector512.FusedMultiplyAdd(qb, Vector512.Load(kt + 144), Vector512.FusedMultiplyAdd(qa, Vector512.Load(kt + 128), r2));
            t2 = Vector512.FusedMultiplyAdd(qd, Vector512.Load(kt + 176), Vector512.FusedMultiplyAdd(qc, Vector512.Load(kt + 160), t2));
            r3 = Vector512.FusedMultiplyAdd(qb, Vector512.Load(kt + 208), Vector512.FusedMultiplyAdd(qa, Vector512.Load(kt + 192), r3));
            t3 = Vector512.FusedMultiplyAdd(qd, Vector512.Load(kt + 240), Vector512.FusedMultiplyAdd(qc, Vector512.Load(kt + 224), t3));
        }
        // Group r holds slots r, r + 4, r + 8, r + 12 in lane blocks of four; pairing 0 with 2 and 1 with 3 (blocks of
        // two), then the results (single lanes) leaves slot i's sum in lane i.
        return Level1(Level2(r0 + t0, r2 + t2), Level2(r1 + t1, r3 + t3));
    }

    /// <summary>
    /// e[j] ← 2^(s[j] − max) in place for j &lt; count (a multiple of 16; padding lanes hold −∞ and become 0); returns
    /// Σ e. With <paramref name="flush"/> the stored values below 2^-100 become 0 (the sum still counts them).
    /// </summary>
    public static float Exp2Row(float* s, int count, float max, bool flush)
    {
        var shift = Vector512.Create(max);
        var tiny = Vector512.Create(Tiny);
        Vector512<float> sum0 = Vector512<float>.Zero, sum1 = sum0;
        int j = 0;
        for (; j + 2 * Tile <= count; j += 2 * Tile)
        {
            var e0 = VectorExp.Exp2NonPositive(Vector512.Load(s + j) - shift);
            var e1 = VectorExp.Exp2NonPositive(Vector512.Load(s + j + Tile) - shift);
            sum0 += e0;
            sum1 += e1;
            if (flush)
            {
                e0 = Vector512.ConditionalSelect(Vector512.LessThan(e0, tiny), Vector512<float>.Zero, e0);
                e1 = Vector512.ConditionalSelect(Vector512.LessThan(e1, tiny), Vector512<float>.Zero, e1);
            }
            e0.Store(s + j);
            e1.Store(s + j + Tile);
        }
        if (j < count)
        {
            var e = VectorExp.Exp2NonPositive(Vector512.Load(s + j) - shift);
            sum0 += e;
            if (flush) e = Vector512.ConditionalSelect(Vector512.LessThan(e, tiny), Vector512<float>.Zero, e);
            e.Store(s + j);
        }
        return Vector512.Sum(sum0 + sum1);
    }

    /// <summary>
    /// dst[j] = Σ_h weights[h]·e[h·stride + j] for j &lt; n (DyCoke's score, from every probability), then drops the
    /// e values below 2^-100 in place for the P·V pass. e [G, stride], stride a multiple of 16 ≥ n; dst [n].
    /// </summary>
    public static void WeightedSumThenFlush(float* e, int g, int stride, int n, float* weights, float* dst)
    {
        var tiny = Vector512.Create(Tiny);
        float* tail = stackalloc float[Tile];
        for (int j = 0; j < n; j += Tile)
        {
            var acc = Vector512<float>.Zero;
            for (int h = 0; h < g; h++)
            {
                float* row = e + h * stride + j;
                var v = Vector512.Load(row);
                acc = Vector512.FusedMultiplyAdd(v, Vector512.Create(weights[h]), acc);
                Vector512.ConditionalSelect(Vector512.LessThan(v, tiny), Vector512<float>.Zero, v).Store(row);
            }
            if (j + Tile <= n) acc.Store(dst + j);
            else
            {
                // The entries past n belong to the next sequence (maybe another thread's): store only those in range.
                acc.Store(tail);
                for (int i = 0; i < n - j; i++) dst[j + i] = tail[i];
            }
        }
    }

    /// <summary>
    /// o_h[0..D) += Σ_j p_h[j]·(the V row at vBase + slots[j]·rowStride bytes) for four heads; o0..o3 distinct [D] (a
    /// dummy row for a missing head), p0..p3 [count] (may repeat).
    /// </summary>
    public static void AccumulateHeads4<TRow>(float* o0, float* o1, float* o2, float* o3, float* p0, float* p1, float* p2, float* p3,
        int* slots, int count, byte* vBase, nint rowStride, int d) where TRow : IKvRows
    {
        int size = TRow.ElementSize;
        int i = 0;
        // Two 16-dim chunks × four heads: eight independent FMA chains per slot, six loads.
        for (; i + 32 <= d; i += 32)
        {
            Vector512<float> a0 = Vector512.Load(o0 + i), a1 = Vector512.Load(o1 + i), a2 = Vector512.Load(o2 + i), a3 = Vector512.Load(o3 + i);
            Vector512<float> b0 = Vector512.Load(o0 + i + 16), b1 = Vector512.Load(o1 + i + 16), b2 = Vector512.Load(o2 + i + 16), b3 = Vector512.Load(o3 + i + 16);
            for (int j = 0; j < count; j++)
            {
                byte* row = vBase + slots[j] * rowStride + i * size;
                Vector512<float> v = TRow.Load16(row), w = TRow.Load16(row + 16 * size);
                var p = Vector512.Create(p0[j]);
                a0 = Vector512.FusedMultiplyAdd(p, v, a0); b0 = Vector512.FusedMultiplyAdd(p, w, b0);
                p = Vector512.Create(p1[j]);
                a1 = Vector512.FusedMultiplyAdd(p, v, a1); b1 = Vector512.FusedMultiplyAdd(p, w, b1);
                p = Vector512.Create(p2[j]);
                a2 = Vector512.FusedMultiplyAdd(p, v, a2); b2 = Vector512.FusedMultiplyAdd(p, w, b2);
                p = Vector512.Create(p3[j]);
                a3 = Vector512.FusedMultiplyAdd(p, v, a3); b3 = Vector512.FusedMultiplyAdd(p, w, b3);
            }
            a0.Store(o0 + i); a1.Store(o1 + i); a2.Store(o2 + i); a3.Store(o3 + i);
            b0.Store(o0 + i + 16); b1.Store(o1 + i + 16); b2.Store(o2 + i + 16); b3.Store(o3 + i + 16);
        }
        if (i < d)
        {
            // One chunk left: even and odd slots in separate accumulators keep eight chains.
            Vector512<float> a0 = Vector512.Load(o0 + i), a1 = Vector512.Load(o1 + i), a2 = Vector512.Load(o2 + i), a3 = Vector512.Load(o3 + i);
            Vector512<float> b0 = Vector512<float>.Zero, b1 = b0, b2 = b0, b3 = b0;
            int j = 0;
            for (; j + 2 <= count; j += 2)
            {
                Vector512<float> v = TRow.Load16(vBase + slots[j] * rowStride + i * size), w = TRow.Load16(vBase + slots[j + 1] * rowStride + i * size);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), v, a0); b0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j + 1]), w, b0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), v, a1); b1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j + 1]), w, b1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(p2[j]), v, a2); b2 = Vector512.FusedMultiplyAdd(Vector512.Create(p2[j + 1]), w, b2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(p3[j]), v, a3); b3 = Vector512.FusedMultiplyAdd(Vector512.Create(p3[j + 1]), w, b3);
            }
            if (j < count)
            {
                var v = TRow.Load16(vBase + slots[j] * rowStride + i * size);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), v, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(p2[j]), v, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(p3[j]), v, a3);
            }
            (a0 + b0).Store(o0 + i); (a1 + b1).Store(o1 + i); (a2 + b2).Store(o2 + i); (a3 + b3).Store(o3 + i);
        }
    }

    /// <summary><see cref="AccumulateHeads4"/> for two heads (o0, o1 distinct), when a GQA group has one or two left.</summary>
    public static void AccumulateHeads2<TRow>(float* o0, float* o1, float* p0, float* p1, int* slots, int count, byte* vBase, nint rowStride, int d)
        where TRow : IKvRows
    {
        for (int i = 0; i < d; i += 16)
        {
            // Four slots at a time in separate accumulators: eight FMA chains for two heads.
            Vector512<float> a0 = Vector512.Load(o0 + i), a1 = Vector512.Load(o1 + i);
            Vector512<float> b0 = Vector512<float>.Zero, b1 = b0, c0 = b0, c1 = b0, d0 = b0, d1 = b0;
            byte* v0 = vBase + i * TRow.ElementSize;
            int j = 0;
            for (; j + 4 <= count; j += 4)
            {
                Vector512<float> v = TRow.Load16(v0 + slots[j] * rowStride), w = TRow.Load16(v0 + slots[j + 1] * rowStride);
                Vector512<float> x = TRow.Load16(v0 + slots[j + 2] * rowStride), y = TRow.Load16(v0 + slots[j + 3] * rowStride);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), v, a0); a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), v, a1);
                b0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j + 1]), w, b0); b1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j + 1]), w, b1);
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j + 2]), x, c0); c1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j + 2]), x, c1);
                d0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j + 3]), y, d0); d1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j + 3]), y, d1);
            }
            for (; j < count; j++)
            {
                var v = TRow.Load16(v0 + slots[j] * rowStride);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), v, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), v, a1);
            }
            ((a0 + b0) + (c0 + d0)).Store(o0 + i);
            ((a1 + b1) + (c1 + d1)).Store(o1 + i);
        }
    }

    // A tree level with blocks of w lanes is Blend(a, b) + Partner(a, b): even blocks keep a's partial sums (a's block
    // + its odd neighbour), odd blocks b's (b's block + its even neighbour). Permute indices ≥ 16 pick from b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Blend4(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.Create(0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, -1, -1, -1, -1).AsSingle(), b, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Partner4(Vector512<float> a, Vector512<float> b) =>
        Avx512F.PermuteVar16x32x2(a, Vector512.Create(4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 24, 25, 26, 27), b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Level2(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.Create(0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1).AsSingle(), b, a)
        + Avx512F.PermuteVar16x32x2(a, Vector512.Create(2, 3, 16, 17, 6, 7, 20, 21, 10, 11, 24, 25, 14, 15, 28, 29), b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Level1(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.Create(0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1).AsSingle(), b, a)
        + Avx512F.PermuteVar16x32x2(a, Vector512.Create(1, 16, 3, 18, 5, 20, 7, 22, 9, 24, 11, 26, 13, 28, 15, 30), b);

    private static float HorizontalMax(Vector512<float> v)
    {
        Vector256<float> m8 = Avx.Max(v.GetLower(), v.GetUpper());
        Vector128<float> m4 = Sse.Max(m8.GetLower(), m8.GetUpper());
        return Math.Max(Math.Max(m4[0], m4[1]), Math.Max(m4[2], m4[3]));
    }
}
