// The self-test cases: each builds identical inputs on both backends (rounded to the tested dtype), runs one op on
// each, and returns (reference output, tested output) as F32. Shapes follow the real models (Qwen2 0.5B/7B, SigLIP).
namespace DyCoke.Tensors.Diagnostics;

public static partial class BackendSelfTest
{
    private static (float[], float[]) Linear(SelfTestHarness h, DType d, int m, int k, int n)
    {
        float[] x = h.RandomValues((long)m * k, d), w = h.RandomValues((long)n * k, d, -0.1f, 0.1f), b = h.RandomValues(n, d);
        using var xr = h.OnReference(x, new Shape(m, k));
        using var wr = h.OnReference(w, new Shape(n, k));
        using var br = h.OnReference(b, new Shape(n));
        using var yr = h.Reference.Allocate(DType.F32, new Shape(m, n));
        h.Reference.Linear(xr, wr, br, yr);
        using var xt = h.OnTested(x, new Shape(m, k), d);
        using var wt = h.OnTested(w, new Shape(n, k), d);
        using var bt = h.OnTested(b, new Shape(n), d);
        using var yt = h.Tested.Allocate(d, new Shape(m, n));
        h.Tested.Linear(xt, wt, bt, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }

    private static (float[], float[]) Embedding(SelfTestHarness h, DType d)
    {
        const int v = 1000, c = 96, t = 37;
        float[] table = h.RandomValues(v * c, d);
        int[] ids = h.RandomInts(t, v);
        using var tr = h.OnReference(table, new Shape(v, c));
        using var ir = h.OnReference(ids, new Shape(t));
        using var yr = h.Reference.Allocate(DType.F32, new Shape(t, c));
        h.Reference.Embedding(ir, tr, yr);
        using var tt = h.OnTested(table, new Shape(v, c), d);
        using var it = h.OnTested(ids, new Shape(t));
        using var yt = h.Tested.Allocate(d, new Shape(t, c));
        h.Tested.Embedding(it, tt, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }

    private static (float[], float[]) RmsNorm(SelfTestHarness h, DType d, bool fused)
    {
        const int r = 33, c = 896;
        float[] x = h.RandomValues(r * c, d, -2, 2), res = h.RandomValues(r * c, d, -2, 2), w = h.RandomValues(c, d, 0.5f, 1.5f);
        var s = new Shape(r, c);
        using var xr = h.OnReference(x, s);
        using var rr = h.OnReference(res, s);
        using var wr = h.OnReference(w, new Shape(c));
        using var yr = h.Reference.Allocate(DType.F32, s);
        using var xt = h.OnTested(x, s, d);
        using var rt = h.OnTested(res, s, d);
        using var wt = h.OnTested(w, new Shape(c), d);
        using var yt = h.Tested.Allocate(d, s);
        if (!fused)
        {
            h.Reference.RmsNorm(xr, wr, 1e-6f, yr);
            h.Tested.RmsNorm(xt, wt, 1e-6f, yt);
            return (h.ReadReference(yr), h.ReadTested(yt));
        }
        h.Reference.AddRmsNorm(xr, rr, wr, 1e-6f, yr);
        h.Tested.AddRmsNorm(xt, rt, wt, 1e-6f, yt);
        return ([.. h.ReadReference(yr), .. h.ReadReference(rr)], [.. h.ReadTested(yt), .. h.ReadTested(rt)]);
    }

    private static (float[], float[]) LayerNorm(SelfTestHarness h, DType d)
    {
        const int r = 29, c = 1152;
        float[] x = h.RandomValues(r * c, d, -3, 3), w = h.RandomValues(c, d, 0.5f, 1.5f), b = h.RandomValues(c, d);
        var s = new Shape(r, c);
        using var xr = h.OnReference(x, s);
        using var wr = h.OnReference(w, new Shape(c));
        using var br = h.OnReference(b, new Shape(c));
        using var yr = h.Reference.Allocate(DType.F32, s);
        h.Reference.LayerNorm(xr, wr, br, 1e-6f, yr);
        using var xt = h.OnTested(x, s, d);
        using var wt = h.OnTested(w, new Shape(c), d);
        using var bt = h.OnTested(b, new Shape(c), d);
        using var yt = h.Tested.Allocate(d, s);
        h.Tested.LayerNorm(xt, wt, bt, 1e-6f, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }

    private static (float[], float[]) Add(SelfTestHarness h, DType d)
    {
        var s = new Shape(17, 1001);
        float[] a = h.RandomValues(s.NumElements, d), b = h.RandomValues(s.NumElements, d);
        return Binary(h, d, s, a, b, s, (be, x, y, o) => be.Add(x, y, o));
    }

    private static (float[], float[]) SiluMul(SelfTestHarness h, DType d)
    {
        const int r = 9, i = 4864;
        float[] gu = h.RandomValues(r * 2 * i, d, -4, 4);
        return Unary(h, d, new Shape(r, 2 * i), gu, new Shape(r, i), (be, x, y) => be.SiluMul(x, y));
    }

    private static (float[], float[]) Gelu(SelfTestHarness h, DType d, GeluApproximation approximation)
    {
        var s = new Shape(9, 4304);
        return Unary(h, d, s, h.RandomValues(s.NumElements, d, -4, 4), s, (be, x, y) => be.Gelu(x, approximation, y));
    }

    private static (float[], float[]) Softmax(SelfTestHarness h, DType d)
    {
        var s = new Shape(13, 6273);
        return Unary(h, d, s, h.RandomValues(s.NumElements, d, -8, 8), s, (be, x, y) => be.Softmax(x, y));
    }

    private static (float[], float[]) BilinearResize(SelfTestHarness h, DType d)
    {
        var si = new Shape(3, 27, 27, 64);
        return Unary(h, d, si, h.RandomValues(si.NumElements, d), new Shape(3, 14, 14, 64), (be, x, y) => be.BilinearResize(x, y));
    }

    private static (float[], float[]) GatherRows(SelfTestHarness h, DType d)
    {
        float[] src = h.RandomValues(50 * 96, d);
        int[] idx = h.RandomInts(21, 50);
        using var sr = h.OnReference(src, new Shape(50, 96));
        using var ir = h.OnReference(idx, new Shape(21));
        using var yr = h.Reference.Allocate(DType.F32, new Shape(21, 96));
        h.Reference.GatherRows(sr, ir, yr);
        using var st = h.OnTested(src, new Shape(50, 96), d);
        using var it = h.OnTested(idx, new Shape(21));
        using var yt = h.Tested.Allocate(d, new Shape(21, 96));
        h.Tested.GatherRows(st, it, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }

    private static (float[], float[]) Convert(SelfTestHarness h, DType d)
    {
        // Unrounded F32 input: the round trip F32 → d → F32 must round exactly as the CPU does (RNE).
        float[] x = h.RandomValues(4099, DType.F32, -70000, 70000);
        var s = new Shape(4099);
        (float[], float[]) RoundTrip(IBackend be, Tensor src)
        {
            using var mid = be.Allocate(d, s);
            using var back = be.Allocate(DType.F32, s);
            be.Convert(src, mid);
            be.Convert(mid, back);
            return (SelfTestHarness.Read(be, back), []);
        }
        using var xr = h.OnReference(x, s);
        using var xt = h.OnTested(x, s, DType.F32);
        return (RoundTrip(h.Reference, xr).Item1, RoundTrip(h.Tested, xt).Item1);
    }

    private static (float[], float[]) Unary(SelfTestHarness h, DType d, Shape inShape, float[] x, Shape outShape, Action<IBackend, Tensor, Tensor> op)
    {
        using var xr = h.OnReference(x, inShape);
        using var yr = h.Reference.Allocate(DType.F32, outShape);
        op(h.Reference, xr, yr);
        using var xt = h.OnTested(x, inShape, d);
        using var yt = h.Tested.Allocate(d, outShape);
        op(h.Tested, xt, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }

    private static (float[], float[]) Binary(SelfTestHarness h, DType d, Shape s, float[] a, float[] b, Shape outShape, Action<IBackend, Tensor, Tensor, Tensor> op)
    {
        using var ar = h.OnReference(a, s);
        using var br = h.OnReference(b, s);
        using var yr = h.Reference.Allocate(DType.F32, outShape);
        op(h.Reference, ar, br, yr);
        using var at = h.OnTested(a, s, d);
        using var bt = h.OnTested(b, s, d);
        using var yt = h.Tested.Allocate(d, outShape);
        op(h.Tested, at, bt, yt);
        return (h.ReadReference(yr), h.ReadTested(yt));
    }
}
