// SIMD kernels shared by the CPU attention ops. Prefill keeps a query block transposed ([D, Bq], queries across the
// vector lanes), so both q·kᵀ and p·v become broadcast-FMA outer products that read K and V rows in place and the
// online softmax runs lane-wise. Vector<float> paths with scalar fallbacks when SIMD is not hardware accelerated.
using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu;

internal static unsafe class AttentionSimd
{
    /// <summary>Queries per prefill block: four vectors of lanes, the width of the register-blocked kernels.</summary>
    public static int QueryBlock => Vector.IsHardwareAccelerated ? 4 * Vector<float>.Count : 16;

    /// <summary>
    /// sT[c, r] = Σ_i k[c·kStride + i]·qT[i, r] for c &lt; nk, r &lt; Bq. k: nk rows of D; qT [D, Bq]; sT [nk, Bq].
    /// </summary>
    public static void ScoresTransposed(float* k, nint kStride, int nk, float* qT, float* sT, int d, int bq)
    {
        if (!Vector.IsHardwareAccelerated)
        {
            for (int c = 0; c < nk; c++)
            {
                float* s = sT + c * bq;
                new Span<float>(s, bq).Clear();
                for (int i = 0; i < d; i++)
                {
                    float kv = k[c * kStride + i];
                    for (int r = 0; r < bq; r++) s[r] += kv * qT[i * bq + r];
                }
            }
            return;
        }
        int w = Vector<float>.Count;
        Debug.Assert(bq == 4 * w);
        int c2 = 0;
        // Two keys × four query vectors: 8 accumulators share 4 loads and 2 broadcasts per head-dim step.
        for (; c2 + 1 < nk; c2 += 2)
        {
            float* k0 = k + c2 * kStride, k1 = k0 + kStride;
            Vector<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector<float> a10 = default, a11 = default, a12 = default, a13 = default;
            for (int i = 0; i < d; i++)
            {
                float* qr = qT + i * bq;
                Vector<float> q0 = Vector.Load(qr), q1 = Vector.Load(qr + w), q2 = Vector.Load(qr + 2 * w), q3 = Vector.Load(qr + 3 * w);
                var b0 = new Vector<float>(k0[i]);
                var b1 = new Vector<float>(k1[i]);
                a00 = Vector.MultiplyAddEstimate(b0, q0, a00);
                a01 = Vector.MultiplyAddEstimate(b0, q1, a01);
                a02 = Vector.MultiplyAddEstimate(b0, q2, a02);
                a03 = Vector.MultiplyAddEstimate(b0, q3, a03);
                a10 = Vector.MultiplyAddEstimate(b1, q0, a10);
                a11 = Vector.MultiplyAddEstimate(b1, q1, a11);
                a12 = Vector.MultiplyAddEstimate(b1, q2, a12);
                a13 = Vector.MultiplyAddEstimate(b1, q3, a13);
            }
            StoreFour(sT + c2 * bq, w, a00, a01, a02, a03);
            StoreFour(sT + (c2 + 1) * bq, w, a10, a11, a12, a13);
        }
        if (c2 < nk)
        {
            float* k0 = k + c2 * kStride;
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < d; i++)
            {
                float* qr = qT + i * bq;
                var b0 = new Vector<float>(k0[i]);
                a0 = Vector.MultiplyAddEstimate(b0, Vector.Load(qr), a0);
                a1 = Vector.MultiplyAddEstimate(b0, Vector.Load(qr + w), a1);
                a2 = Vector.MultiplyAddEstimate(b0, Vector.Load(qr + 2 * w), a2);
                a3 = Vector.MultiplyAddEstimate(b0, Vector.Load(qr + 3 * w), a3);
            }
            StoreFour(sT + c2 * bq, w, a0, a1, a2, a3);
        }
    }

    /// <summary>
    /// accT[i, r] ← accT[i, r]·rescale[r] + Σ_c v[c·vStride + i]·pT[c, r] for i &lt; D, r &lt; Bq.
    /// v: nk rows of D; pT [nk, Bq]; accT [D, Bq]; rescale [Bq].
    /// </summary>
    public static void AccumulateTransposed(float* accT, float* rescale, float* v, nint vStride, int nk, float* pT, int d, int bq)
    {
        if (!Vector.IsHardwareAccelerated)
        {
            for (int i = 0; i < d; i++)
            {
                float* a = accT + i * bq;
                for (int r = 0; r < bq; r++) a[r] *= rescale[r];
                for (int c = 0; c < nk; c++)
                {
                    float vv = v[c * vStride + i];
                    for (int r = 0; r < bq; r++) a[r] += vv * pT[c * bq + r];
                }
            }
            return;
        }
        int w = Vector<float>.Count;
        Debug.Assert(bq == 4 * w);
        Vector<float> r0 = Vector.Load(rescale), r1 = Vector.Load(rescale + w), r2 = Vector.Load(rescale + 2 * w), r3 = Vector.Load(rescale + 3 * w);
        int i2 = 0;
        for (; i2 + 1 < d; i2 += 2)
        {
            float* x0 = accT + i2 * bq, x1 = x0 + bq;
            Vector<float> a00 = Vector.Load(x0) * r0, a01 = Vector.Load(x0 + w) * r1, a02 = Vector.Load(x0 + 2 * w) * r2, a03 = Vector.Load(x0 + 3 * w) * r3;
            Vector<float> a10 = Vector.Load(x1) * r0, a11 = Vector.Load(x1 + w) * r1, a12 = Vector.Load(x1 + 2 * w) * r2, a13 = Vector.Load(x1 + 3 * w) * r3;
            float* vr = v + i2;
            for (int c = 0; c < nk; c++, vr += vStride)
            {
                float* pr = pT + c * bq;
                Vector<float> p0 = Vector.Load(pr), p1 = Vector.Load(pr + w), p2 = Vector.Load(pr + 2 * w), p3 = Vector.Load(pr + 3 * w);
                var b0 = new Vector<float>(vr[0]);
                var b1 = new Vector<float>(vr[1]);
                a00 = Vector.MultiplyAddEstimate(b0, p0, a00);
                a01 = Vector.MultiplyAddEstimate(b0, p1, a01);
                a02 = Vector.MultiplyAddEstimate(b0, p2, a02);
                a03 = Vector.MultiplyAddEstimate(b0, p3, a03);
                a10 = Vector.MultiplyAddEstimate(b1, p0, a10);
                a11 = Vector.MultiplyAddEstimate(b1, p1, a11);
                a12 = Vector.MultiplyAddEstimate(b1, p2, a12);
                a13 = Vector.MultiplyAddEstimate(b1, p3, a13);
            }
            StoreFour(x0, w, a00, a01, a02, a03);
            StoreFour(x1, w, a10, a11, a12, a13);
        }
        if (i2 < d)
        {
            float* x0 = accT + i2 * bq;
            Vector<float> a0 = Vector.Load(x0) * r0, a1 = Vector.Load(x0 + w) * r1, a2 = Vector.Load(x0 + 2 * w) * r2, a3 = Vector.Load(x0 + 3 * w) * r3;
            float* vr = v + i2;
            for (int c = 0; c < nk; c++, vr += vStride)
            {
                float* pr = pT + c * bq;
                var b0 = new Vector<float>(vr[0]);
                a0 = Vector.MultiplyAddEstimate(b0, Vector.Load(pr), a0);
                a1 = Vector.MultiplyAddEstimate(b0, Vector.Load(pr + w), a1);
                a2 = Vector.MultiplyAddEstimate(b0, Vector.Load(pr + 2 * w), a2);
                a3 = Vector.MultiplyAddEstimate(b0, Vector.Load(pr + 3 * w), a3);
            }
            StoreFour(x0, w, a0, a1, a2, a3);
        }
    }

    /// <summary>
    /// One online-softmax step over a score tile sT [nk, Bq] (−∞ where masked), lane-wise per query r: the running max
    /// max[r] takes the tile's max, sT becomes exp(sT − max), the running sum sum[r] is rescaled and grows by the
    /// tile's sum, and rescale[r] = exp(oldMax − newMax) is left for the accumulator. A query whose scores are all
    /// −∞ so far keeps max −∞, sum 0 and gets rescale 0 (the shift is taken as 0 so no ∞ − ∞ appears).
    /// </summary>
    public static void OnlineSoftmaxTransposed(float* sT, int nk, int bq, float* max, float* sum, float* rescale)
    {
        int w = Vector.IsHardwareAccelerated ? Vector<float>.Count : 1;
        for (int r = 0; r < bq; r += w)
        {
            if (w == 1)
            {
                float tileMax = float.NegativeInfinity;
                for (int c = 0; c < nk; c++) tileMax = Math.Max(tileMax, sT[c * bq + r]);
                float newMax = Math.Max(max[r], tileMax);
                float shift = float.IsNegativeInfinity(newMax) ? 0f : newMax;
                rescale[r] = max[r] - shift;
                max[r] = newMax;
                for (int c = 0; c < nk; c++) sT[c * bq + r] -= shift;
            }
            else
            {
                var tileMax = new Vector<float>(float.NegativeInfinity);
                for (int c = 0; c < nk; c++) tileMax = Vector.Max(tileMax, Vector.Load(sT + c * bq + r));
                Vector<float> oldMax = Vector.Load(max + r);
                Vector<float> newMax = Vector.Max(oldMax, tileMax);
                Vector<float> shift = Vector.ConditionalSelect(Vector.Equals(newMax, new Vector<float>(float.NegativeInfinity)), Vector<float>.Zero, newMax);
                Vector.Store(oldMax - shift, rescale + r);
                Vector.Store(newMax, max + r);
                for (int c = 0; c < nk; c++) Vector.Store(Vector.Load(sT + c * bq + r) - shift, sT + c * bq + r);
            }
        }
        TensorPrimitives.Exp(new ReadOnlySpan<float>(sT, nk * bq), new Span<float>(sT, nk * bq));
        TensorPrimitives.Exp(new ReadOnlySpan<float>(rescale, bq), new Span<float>(rescale, bq));
        var total = new Span<float>(sum, bq);
        TensorPrimitives.Multiply(total, new ReadOnlySpan<float>(rescale, bq), total);
        for (int c = 0; c < nk; c++) TensorPrimitives.Add(total, new ReadOnlySpan<float>(sT + c * bq, bq), total);
    }

    /// <summary>
    /// s_h = k·q_h for four query rows at once, so the key row is loaded once (decode: the heads of a GQA group).
    /// k, q0..q3 [D]; the rows may repeat when fewer than four heads are left.
    /// </summary>
    public static void Dot4(float* k, float* q0, float* q1, float* q2, float* q3, int d, float* result)
    {
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + w <= d; i += w)
            {
                Vector<float> kv = Vector.Load(k + i);
                a0 = Vector.MultiplyAddEstimate(Vector.Load(q0 + i), kv, a0);
                a1 = Vector.MultiplyAddEstimate(Vector.Load(q1 + i), kv, a1);
                a2 = Vector.MultiplyAddEstimate(Vector.Load(q2 + i), kv, a2);
                a3 = Vector.MultiplyAddEstimate(Vector.Load(q3 + i), kv, a3);
            }
            s0 = Vector.Sum(a0); s1 = Vector.Sum(a1); s2 = Vector.Sum(a2); s3 = Vector.Sum(a3);
        }
        for (; i < d; i++)
        {
            s0 += q0[i] * k[i]; s1 += q1[i] * k[i]; s2 += q2[i] * k[i]; s3 += q3[i] * k[i];
        }
        result[0] = s0; result[1] = s1; result[2] = s2; result[3] = s3;
    }

    /// <summary>
    /// o_h[0..D) += Σ_j p_h[j]·vBase[slots[j]·rowStride ..] for four heads at once, so each value row is loaded once.
    /// o0..o3 [D] must be distinct (pass a dummy row for a missing head); p0..p3 [count].
    /// </summary>
    public static void AccumulateSlots4(float* o0, float* o1, float* o2, float* o3, float* p0, float* p1, float* p2, float* p3,
        int* slots, int count, float* vBase, nint rowStride, int d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 16 dims × four heads per pass: one 512-bit load of the value row feeds four FMAs.
            for (; i + 16 <= d; i += 16)
            {
                Vector512<float> a0 = Vector512.Load(o0 + i), a1 = Vector512.Load(o1 + i), a2 = Vector512.Load(o2 + i), a3 = Vector512.Load(o3 + i);
                for (int j = 0; j < count; j++)
                {
                    var v = Vector512.Load(vBase + slots[j] * rowStride + i);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(p2[j]), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(p3[j]), v, a3);
                }
                a0.Store(o0 + i); a1.Store(o1 + i); a2.Store(o2 + i); a3.Store(o3 + i);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            // Two vectors of D × four heads: 8 accumulators; 2 loads and 4 broadcasts per 8 FMAs.
            for (; i + 2 * w <= d; i += 2 * w)
            {
                Vector<float> a00 = Vector.Load(o0 + i), a01 = Vector.Load(o0 + i + w), a10 = Vector.Load(o1 + i), a11 = Vector.Load(o1 + i + w);
                Vector<float> a20 = Vector.Load(o2 + i), a21 = Vector.Load(o2 + i + w), a30 = Vector.Load(o3 + i), a31 = Vector.Load(o3 + i + w);
                for (int j = 0; j < count; j++)
                {
                    float* row = vBase + slots[j] * rowStride + i;
                    Vector<float> v0 = Vector.Load(row), v1 = Vector.Load(row + w);
                    var b = new Vector<float>(p0[j]);
                    a00 = Vector.MultiplyAddEstimate(b, v0, a00); a01 = Vector.MultiplyAddEstimate(b, v1, a01);
                    b = new Vector<float>(p1[j]);
                    a10 = Vector.MultiplyAddEstimate(b, v0, a10); a11 = Vector.MultiplyAddEstimate(b, v1, a11);
                    b = new Vector<float>(p2[j]);
                    a20 = Vector.MultiplyAddEstimate(b, v0, a20); a21 = Vector.MultiplyAddEstimate(b, v1, a21);
                    b = new Vector<float>(p3[j]);
                    a30 = Vector.MultiplyAddEstimate(b, v0, a30); a31 = Vector.MultiplyAddEstimate(b, v1, a31);
                }
                Vector.Store(a00, o0 + i); Vector.Store(a01, o0 + i + w); Vector.Store(a10, o1 + i); Vector.Store(a11, o1 + i + w);
                Vector.Store(a20, o2 + i); Vector.Store(a21, o2 + i + w); Vector.Store(a30, o3 + i); Vector.Store(a31, o3 + i + w);
            }
        }
        for (; i < d; i++)
        {
            float a0 = o0[i], a1 = o1[i], a2 = o2[i], a3 = o3[i];
            for (int j = 0; j < count; j++)
            {
                float v = vBase[slots[j] * rowStride + i];
                a0 += p0[j] * v; a1 += p1[j] * v; a2 += p2[j] * v; a3 += p3[j] * v;
            }
            o0[i] = a0; o1[i] = a1; o2[i] = a2; o3[i] = a3;
        }
    }

    /// <summary>Whether <see cref="SlotScores"/> can run: AVX + FMA and D a multiple of 8.</summary>
    public static bool CanScoreSlots(int d) => Avx.IsSupported && Fma.IsSupported && d % 8 == 0;

    /// <summary>
    /// scores[h·stride + j] = q[h]·kBase[slots[j]·rowStride ..] for h &lt; G, j &lt; n; q [G, D] (already scaled). Four slots
    /// per pass share one horizontal reduction (three hadds), which at small D costs more than the FMAs themselves.
    /// Requires <see cref="CanScoreSlots"/>.
    /// </summary>
    public static void SlotScores(float* q, int g, int d, float* kBase, nint rowStride, int* slots, int n, float* scores, int stride)
    {
        Debug.Assert(CanScoreSlots(d));
        bool wide = Vector512.IsHardwareAccelerated && d % 16 == 0;
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            float* k0 = kBase + slots[j] * rowStride, k1 = kBase + slots[j + 1] * rowStride;
            float* k2 = kBase + slots[j + 2] * rowStride, k3 = kBase + slots[j + 3] * rowStride;
            for (int h = 0; h < g; h++)
            {
                float* qh = q + h * d;
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                int i = 0;
                if (wide)
                {
                    // One 512-bit FMA per 16 dims, folded to 256 bits before the shared reduction.
                    Vector512<float> w0 = Vector512<float>.Zero, w1 = w0, w2 = w0, w3 = w0;
                    for (; i < d; i += 16)
                    {
                        var qv = Vector512.Load(qh + i);
                        w0 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k0 + i), w0);
                        w1 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k1 + i), w1);
                        w2 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k2 + i), w2);
                        w3 = Vector512.FusedMultiplyAdd(qv, Vector512.Load(k3 + i), w3);
                    }
                    a0 = w0.GetLower() + w0.GetUpper(); a1 = w1.GetLower() + w1.GetUpper();
                    a2 = w2.GetLower() + w2.GetUpper(); a3 = w3.GetLower() + w3.GetUpper();
                }
                for (; i < d; i += 8)
                {
                    var qv = Avx.LoadVector256(qh + i);
                    a0 = Fma.MultiplyAdd(qv, Avx.LoadVector256(k0 + i), a0);
                    a1 = Fma.MultiplyAdd(qv, Avx.LoadVector256(k1 + i), a1);
                    a2 = Fma.MultiplyAdd(qv, Avx.LoadVector256(k2 + i), a2);
                    a3 = Fma.MultiplyAdd(qv, Avx.LoadVector256(k3 + i), a3);
                }
                var pairs = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3)); // [Σa0 Σa1 Σa2 Σa3] per 128-bit half
                Sse.Store(scores + h * stride + j, Sse.Add(pairs.GetLower(), pairs.GetUpper()));
            }
        }
        for (; j < n; j++)
        {
            float* k = kBase + slots[j] * rowStride;
            for (int h = 0; h < g; h++)
            {
                float* qh = q + h * d;
                Vector256<float> a = Vector256<float>.Zero;
                for (int i = 0; i < d; i += 8) a = Fma.MultiplyAdd(Avx.LoadVector256(qh + i), Avx.LoadVector256(k + i), a);
                scores[h * stride + j] = Vector256.Sum(a);
            }
        }
    }

    /// <summary>
    /// <see cref="AccumulateSlots4"/> for two heads: o0, o1 [D] (distinct) += Σ_j p0/p1[j]·value row of slots[j]. Used
    /// when a GQA group has one or two heads left, so no FMAs are spent on dummy rows.
    /// </summary>
    public static void AccumulateSlots2(float* o0, float* o1, float* p0, float* p1, int* slots, int count, float* vBase, nint rowStride, int d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= d; i += 16)
            {
                Vector512<float> a0 = Vector512.Load(o0 + i), a1 = Vector512.Load(o1 + i);
                for (int j = 0; j < count; j++)
                {
                    var v = Vector512.Load(vBase + slots[j] * rowStride + i);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), v, a1);
                }
                a0.Store(o0 + i);
                a1.Store(o1 + i);
            }
        }
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            for (; i + 2 * w <= d; i += 2 * w)
            {
                Vector<float> a00 = Vector.Load(o0 + i), a01 = Vector.Load(o0 + i + w), a10 = Vector.Load(o1 + i), a11 = Vector.Load(o1 + i + w);
                for (int j = 0; j < count; j++)
                {
                    float* row = vBase + slots[j] * rowStride + i;
                    Vector<float> v0 = Vector.Load(row), v1 = Vector.Load(row + w);
                    var b = new Vector<float>(p0[j]);
                    a00 = Vector.MultiplyAddEstimate(b, v0, a00); a01 = Vector.MultiplyAddEstimate(b, v1, a01);
                    b = new Vector<float>(p1[j]);
                    a10 = Vector.MultiplyAddEstimate(b, v0, a10); a11 = Vector.MultiplyAddEstimate(b, v1, a11);
                }
                Vector.Store(a00, o0 + i); Vector.Store(a01, o0 + i + w); Vector.Store(a10, o1 + i); Vector.Store(a11, o1 + i + w);
            }
        }
        for (; i < d; i++)
        {
            float a0 = o0[i], a1 = o1[i];
            for (int j = 0; j < count; j++)
            {
                float v = vBase[slots[j] * rowStride + i];
                a0 += p0[j] * v; a1 += p1[j] * v;
            }
            o0[i] = a0; o1[i] = a1;
        }
    }

    /// <summary>x[i] ← 0 where |x[i]| &lt; 2^-100 (subnormals included); other values unchanged.</summary>
    public static void FlushTiny(Span<float> x)
    {
        const float tiny = 7.888609e-31f; // 2^-100
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var limit = new Vector<float>(tiny);
            ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref start, (nuint)i);
                Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(v), limit), Vector<float>.Zero, v).StoreUnsafe(ref start, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
            if (MathF.Abs(x[i]) < tiny) x[i] = 0f;
    }

    /// <summary>
    /// In-place max-shifted softmax of a non-empty row: x[i] ← exp(x[i] − max x) / Σ exp(x − max x), all in fp32.
    /// (TensorPrimitives.SoftMax does not subtract the max, so large attention logits would overflow it.)
    /// </summary>
    public static void SoftmaxInPlace(Span<float> x)
    {
        Debug.Assert(!x.IsEmpty);
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum = TensorPrimitives.Sum(x);
        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    private static void StoreFour(float* dst, int w, Vector<float> a0, Vector<float> a1, Vector<float> a2, Vector<float> a3)
    {
        Vector.Store(a0, dst);
        Vector.Store(a1, dst + w);
        Vector.Store(a2, dst + 2 * w);
        Vector.Store(a3, dst + 3 * w);
    }
}
