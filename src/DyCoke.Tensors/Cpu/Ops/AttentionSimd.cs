// SIMD kernels of the CPU attention ops; the decode slot-list kernels are in AttentionSimd.Decode.cs. Prefill keeps a
// query block transposed ([D, Bq], queries across the vector lanes), so both q·kᵀ and p·v become broadcast-FMA outer
// products that read K and V rows in place and the online softmax runs lane-wise. Vector<float> paths with scalar
// fallbacks when SIMD is not hardware accelerated.
using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu;

internal static unsafe partial class AttentionSimd
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

    private static void StoreFour(float* dst, int w, Vector<float> a0, Vector<float> a1, Vector<float> a2, Vector<float> a3)
    {
        Vector.Store(a0, dst);
        Vector.Store(a1, dst + w);
        Vector.Store(a2, dst + 2 * w);
        Vector.Store(a3, dst + 3 * w);
    }
}
