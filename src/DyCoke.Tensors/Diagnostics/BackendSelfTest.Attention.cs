// Self-test cases for the attention family and DyCoke's helpers: RoPE + KV store, varlen prefill, slot-list decode
// (with mean-over-heads probabilities), chunked prefill over cached slots, row cosine, top-k and argmax.
namespace DyCoke.Tensors.Diagnostics;

public static partial class BackendSelfTest
{
    private static (float[], float[]) RopeAndStoreKv(SelfTestHarness h, DType d)
    {
        const int t = 19, heads = 14, kvHeads = 2, dim = 64, slots = 40;
        float[] q = h.RandomValues(t * heads * dim, d), k = h.RandomValues(t * kvHeads * dim, d), v = h.RandomValues(t * kvHeads * dim, d);
        int[] positions = h.RandomInts(t, 30000);
        int[] slotMap = Enumerable.Range(0, slots).OrderBy(_ => h.NextInt(1 << 30)).Take(t).ToArray();
        slotMap[3] = -1; // a token whose store is skipped
        var qs = new Shape(t, heads, dim);
        var ks = new Shape(t, kvHeads, dim);
        var cs = new Shape(slots, kvHeads, dim);
        (float[], float[]) Run(IBackend be, Tensor qq, Tensor kk, Tensor vv, Tensor pos, Tensor map, DType cacheType)
        {
            using var kc = be.Allocate(cacheType, cs);
            using var vc = be.Allocate(cacheType, cs);
            be.RopeAndStoreKv(qq, kk, vv, pos, map, kc, vc, 1_000_000f);
            return ([.. SelfTestHarness.Read(be, qq), .. SelfTestHarness.Read(be, kc)], SelfTestHarness.Read(be, vc));
        }
        using var qr = h.OnReference(q, qs);
        using var kr = h.OnReference(k, ks);
        using var vr = h.OnReference(v, ks);
        using var pr = h.OnReference(positions, new Shape(t));
        using var mr = h.OnReference(slotMap, new Shape(t));
        var (refQk, refV) = Run(h.Reference, qr, kr, vr, pr, mr, DType.F32);
        using var qt = h.OnTested(q, qs, d);
        using var kt = h.OnTested(k, ks, d);
        using var vt = h.OnTested(v, ks, d);
        using var pt = h.OnTested(positions, new Shape(t));
        using var mt = h.OnTested(slotMap, new Shape(t));
        var (testQk, testV) = Run(h.Tested, qt, kt, vt, pt, mt, d);
        return ([.. refQk, .. refV], [.. testQk, .. testV]);
    }

    private static (float[], float[]) AttentionPrefill(SelfTestHarness h, DType d, bool causal, int heads, int kvHeads, int dim)
    {
        int[] lengths = causal ? [1, 17, 40] : [50, 33];
        int[] cu = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) cu[i + 1] = cu[i] + lengths[i];
        int t = cu[^1];
        float[] q = h.RandomValues(t * heads * dim, d), k = h.RandomValues(t * kvHeads * dim, d), v = h.RandomValues(t * kvHeads * dim, d);
        var qs = new Shape(t, heads, dim);
        var ks = new Shape(t, kvHeads, dim);
        float scale = 1f / MathF.Sqrt(dim);
        using var qr = h.OnReference(q, qs);
        using var kr = h.OnReference(k, ks);
        using var vr = h.OnReference(v, ks);
        using var cr = h.OnReference(cu, new Shape(cu.Length));
        using var or = h.Reference.Allocate(DType.F32, qs);
        h.Reference.AttentionPrefill(qr, kr, vr, cr, causal, scale, or);
        using var qt = h.OnTested(q, qs, d);
        using var kt = h.OnTested(k, ks, d);
        using var vt = h.OnTested(v, ks, d);
        using var ct = h.OnTested(cu, new Shape(cu.Length));
        using var ot = h.Tested.Allocate(d, qs);
        h.Tested.AttentionPrefill(qt, kt, vt, ct, causal, scale, ot);
        return (h.ReadReference(or), h.ReadTested(ot));
    }

    private static (float[], float[]) AttentionDecode(SelfTestHarness h, DType d, bool meanProbs)
    {
        int heads = meanProbs ? 14 : 28, kvHeads = meanProbs ? 2 : 4, dim = meanProbs ? 64 : 128;
        const int slots = 700;
        int[] lengths = [1, 100, 0, 613];
        var indptr = new int[lengths.Length + 1];
        var indices = new List<int>();
        for (int b = 0; b < lengths.Length; b++)
        {
            indices.AddRange(Enumerable.Range(0, slots).OrderBy(_ => h.NextInt(1 << 30)).Take(lengths[b]));
            indptr[b + 1] = indices.Count;
        }
        int nnz = indices.Count, batch = lengths.Length;
        float[] q = h.RandomValues(batch * heads * dim, d, -2, 2);
        float[] kc = h.RandomValues(slots * kvHeads * dim, d), vc = h.RandomValues(slots * kvHeads * dim, d);
        var qs = new Shape(batch, heads, dim);
        var cs = new Shape(slots, kvHeads, dim);
        float scale = 1f / MathF.Sqrt(dim);
        (float[], float[]) Run(IBackend be, Tensor qq, Tensor kk, Tensor vv, Tensor ip, Tensor ix, DType outType)
        {
            using var o = be.Allocate(outType, qs);
            using var p = meanProbs ? be.Allocate(DType.F32, new Shape(nnz)) : null;
            be.AttentionDecode(qq, kk, vv, ip, ix, scale, o, p);
            return (SelfTestHarness.Read(be, o), p is null ? [] : SelfTestHarness.Read(be, p));
        }
        using var qr = h.OnReference(q, qs);
        using var kr = h.OnReference(kc, cs);
        using var vr = h.OnReference(vc, cs);
        using var pr = h.OnReference(indptr, new Shape(indptr.Length));
        using var ir = h.OnReference([.. indices], new Shape(nnz));
        var (refOut, refProbs) = Run(h.Reference, qr, kr, vr, pr, ir, DType.F32);
        using var qt = h.OnTested(q, qs, d);
        using var kt = h.OnTested(kc, cs, d);
        using var vt = h.OnTested(vc, cs, d);
        using var pt = h.OnTested(indptr, new Shape(indptr.Length));
        using var it = h.OnTested([.. indices], new Shape(nnz));
        var (testOut, testProbs) = Run(h.Tested, qt, kt, vt, pt, it, d);
        return meanProbs ? (refProbs, testProbs) : (refOut, testOut);
    }

    private static (float[], float[]) AttentionPrefillCached(SelfTestHarness h, DType d, int heads, int kvHeads, int dim)
    {
        // Chunks of 1, 70 and 20 queries over prefixes of 130, 0 and 5 slots: a prefix longer than a query tile, an
        // empty one and a chunk shorter than its key tile.
        int[] chunks = [1, 70, 20], prefixes = [130, 0, 5];
        const int slots = 400;
        int[] cu = new int[chunks.Length + 1], indptr = new int[chunks.Length + 1];
        var indices = new List<int>();
        for (int b = 0; b < chunks.Length; b++)
        {
            cu[b + 1] = cu[b] + chunks[b];
            indices.AddRange(Enumerable.Range(0, slots).OrderBy(_ => h.NextInt(1 << 30)).Take(prefixes[b] + chunks[b]));
            indptr[b + 1] = indices.Count;
        }
        int t = cu[^1], nnz = indices.Count;
        float[] q = h.RandomValues(t * heads * dim, d, -2, 2);
        float[] kc = h.RandomValues(slots * kvHeads * dim, d), vc = h.RandomValues(slots * kvHeads * dim, d);
        var qs = new Shape(t, heads, dim);
        var cs = new Shape(slots, kvHeads, dim);
        float scale = 1f / MathF.Sqrt(dim);
        float[] Run(IBackend be, Tensor qq, Tensor kk, Tensor vv, Tensor c, Tensor ip, Tensor ix, DType outType)
        {
            using var o = be.Allocate(outType, qs);
            be.AttentionPrefillCached(qq, kk, vv, c, ip, ix, scale, o);
            return SelfTestHarness.Read(be, o);
        }
        using var qr = h.OnReference(q, qs);
        using var kr = h.OnReference(kc, cs);
        using var vr = h.OnReference(vc, cs);
        using var cr = h.OnReference(cu, new Shape(cu.Length));
        using var pr = h.OnReference(indptr, new Shape(indptr.Length));
        using var ir = h.OnReference([.. indices], new Shape(nnz));
        float[] expected = Run(h.Reference, qr, kr, vr, cr, pr, ir, DType.F32);
        using var qt = h.OnTested(q, qs, d);
        using var kt = h.OnTested(kc, cs, d);
        using var vt = h.OnTested(vc, cs, d);
        using var ct = h.OnTested(cu, new Shape(cu.Length));
        using var pt = h.OnTested(indptr, new Shape(indptr.Length));
        using var it = h.OnTested([.. indices], new Shape(nnz));
        return (expected, Run(h.Tested, qt, kt, vt, ct, pt, it, d));
    }

    private static (float[], float[]) RowCosine(SelfTestHarness h, DType d)
    {
        var s = new Shape(196, 896);
        float[] a = h.RandomValues(s.NumElements, d), b = h.RandomValues(s.NumElements, d);
        // The output is F32 on every backend (a score, not an activation).
        using var ar = h.OnReference(a, s);
        using var br = h.OnReference(b, s);
        using var yr = h.Reference.Allocate(DType.F32, new Shape(196));
        h.Reference.RowCosine(ar, br, yr);
        using var at = h.OnTested(a, s, d);
        using var bt = h.OnTested(b, s, d);
        using var yt = h.Tested.Allocate(DType.F32, new Shape(196));
        h.Tested.RowCosine(at, bt, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }

    private static (float[], float[]) TopK(SelfTestHarness h, DType d)
    {
        const int r = 3, n = 1000, k = 300;
        // Coarse values force ties, so the tie rule (lower index first) is tested too.
        float[] scores = h.RandomInts(r * n, 50).Select(i => SelfTestHarness.RoundTo(i / 7f, d)).ToArray();
        (float[], float[]) Run(IBackend be, Tensor s)
        {
            using var values = be.Allocate(DType.F32, new Shape(r, k));
            using var indices = be.Allocate(DType.I32, new Shape(r, k));
            be.TopK(s, k, values, indices);
            return ([.. SelfTestHarness.Read(be, values), .. SelfTestHarness.Read(be, indices)], []);
        }
        using var sr = h.OnReference(scores, new Shape(r, n));
        using var st = h.OnTested(scores, new Shape(r, n), d);
        return (Run(h.Reference, sr).Item1, Run(h.Tested, st).Item1);
    }

    private static (float[], float[]) ArgMax(SelfTestHarness h, DType d)
    {
        const int r = 5, n = 151_000;
        float[] x = h.RandomValues(r * n, d, -10, 10);
        x[2 * n + 7] = x[2 * n + 90_000] = 50; // a tie: the first index must win
        (float[], float[]) Run(IBackend be, Tensor t)
        {
            using var idx = be.Allocate(DType.I32, new Shape(r));
            be.ArgMax(t, idx);
            return (SelfTestHarness.Read(be, idx), []);
        }
        using var xr = h.OnReference(x, new Shape(r, n));
        using var xt = h.OnTested(x, new Shape(r, n), d);
        return (Run(h.Reference, xr).Item1, Run(h.Tested, xt).Item1);
    }
}
