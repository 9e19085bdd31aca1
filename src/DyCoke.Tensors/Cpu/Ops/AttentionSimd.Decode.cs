// Decode kernels over slot lists, for AttentionDecode where the AVX-512 tiles (DecodeTiles) cannot run: a GQA group's
// heads share each K row and V row they read, and four slots share one horizontal reduction.
using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu;

internal static unsafe partial class AttentionSimd
{
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
}
