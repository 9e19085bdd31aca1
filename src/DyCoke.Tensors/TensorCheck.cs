// Argument checks shared by every backend: ops validate at the boundary, then run without further checks.
namespace DyCoke.Tensors;

internal static class TensorCheck
{
    public static void OnDevice(Tensor t, DeviceKind device, string name)
    {
        if (t.Device != device)
            throw new ArgumentException($"{name} is on {t.Device}, expected {device}", name);
    }

    public static void Is(Tensor t, DType dtype, string name)
    {
        if (t.DType != dtype)
            throw new ArgumentException($"{name} has dtype {t.DType}, expected {dtype}", name);
    }

    public static void IsFloat(Tensor t, string name)
    {
        if (!t.DType.IsFloat())
            throw new ArgumentException($"{name} has dtype {t.DType}, expected F32, F16 or BF16", name);
    }

    public static void Rank(Tensor t, int rank, string name)
    {
        if (t.Shape.Rank != rank)
            throw new ArgumentException($"{name} has shape {t.Shape}, expected rank {rank}", name);
    }

    public static void ShapeIs(Tensor t, Shape expected, string name)
    {
        if (t.Shape != expected)
            throw new ArgumentException($"{name} has shape {t.Shape}, expected {expected}", name);
    }

    public static void SameShape(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.Shape != b.Shape)
            throw new ArgumentException($"{nameA} {a.Shape} and {nameB} {b.Shape} must have the same shape", nameB);
    }

    public static void SameElementCount(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.NumElements != b.NumElements)
            throw new ArgumentException($"{nameA} {a.Shape} and {nameB} {b.Shape} must have the same element count", nameB);
    }

    public static void Dim(Tensor t, int axis, long expected, string name)
    {
        if (t.Shape.Rank == 0 || t.Shape[axis] != expected)
            throw new ArgumentException($"{name} has shape {t.Shape}, expected dimension {axis} to be {expected}", name);
    }

    /// <summary>An index list: I32, rank 1.</summary>
    public static void IndexVector(Tensor t, string name)
    {
        Is(t, DType.I32, name);
        Rank(t, 1, name);
    }

    /// <summary>
    /// Attention over a paged KV cache, once every tensor is known to be rank 3: q [T, H, D], caches [S, Hkv, D] of one
    /// shape, output shaped like q, H a positive multiple of Hkv (the decode and chunked-prefill ops, CPU and CUDA).
    /// </summary>
    public static void CacheAttentionShapes(Tensor q, Tensor kCache, Tensor vCache, Tensor output)
    {
        long h = q.Shape[1], d = q.Shape[2], hkv = kCache.Shape[1];
        if (kCache.Shape[2] != d)
            throw new ArgumentException($"kCache has shape {kCache.Shape}, expected [S, Hkv, {d}] to match q {q.Shape}", nameof(kCache));
        SameShape(kCache, vCache, nameof(kCache), nameof(vCache));
        SameShape(q, output, nameof(q), nameof(output));
        if (h == 0 || hkv == 0 || h % hkv != 0)
            throw new ArgumentException($"q has {h} heads, expected a positive multiple of the {hkv} kv heads of kCache {kCache.Shape}", nameof(q));
    }
}
