// RopeAndStoreKv on CUDA (Kernels/rope_and_store_kv.cu): one block per token rotates its q and k heads and writes its
// k and v rows into the KV cache.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    // The kernel's shared cos/sin table holds D/2 ≤ 256 entries (DYC_ROPE_MAX_HALF); Qwen2 and SigLIP use D ≤ 128.
    private const int MaxRopeHeadDim = 512;

    /// <summary>
    /// NeoX rotary embedding (pairs (i, i + D/2)) at explicit positions, in place on q [T, H, D] and k [T, Hkv, D], with
    /// inv_freq_i = 1 / θ^(2i/D) and angle = position · inv_freq_i, both in fp32 as HF computes them (the power rounded
    /// once to fp32); then kCache[slotMapping[t]] ← k[t] (rotated, as stored) and vCache[slotMapping[t]] ← v[t], skipped
    /// where the slot is negative. q, k, v, kCache, vCache [S, Hkv, D] share one float dtype; positions, slotMapping I32 [T].
    /// Precondition (not checked: the slots live on the GPU): every non-negative slot is below S, and no two tokens
    /// share one.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape, an odd D, or D above 512.</exception>
    /// <exception cref="ArgumentOutOfRangeException">theta is not a positive finite number.</exception>
    public void RopeAndStoreKv(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta)
    {
        OnDevice(q, k, v, positions, slotMapping, kCache, vCache);
        TensorCheck.IsFloat(q, nameof(q));
        TensorCheck.Rank(q, 3, nameof(q));
        TensorCheck.Rank(k, 3, nameof(k));
        long tokens = q.Shape[0], heads = q.Shape[1], headDim = q.Shape[2], kvHeads = k.Shape[1]; // T, H, D, Hkv
        if (headDim % 2 != 0 || headDim > MaxRopeHeadDim)
            throw new ArgumentException($"q has shape {q.Shape}, expected an even head dim of at most {MaxRopeHeadDim}", nameof(q));
        var kvShape = new Shape(tokens, kvHeads, headDim); // [T, Hkv, D]
        TensorCheck.ShapeIs(k, kvShape, nameof(k));
        TensorCheck.ShapeIs(v, kvShape, nameof(v));
        TensorCheck.Is(k, q.DType, nameof(k));
        TensorCheck.Is(v, q.DType, nameof(v));
        TensorCheck.Is(kCache, q.DType, nameof(kCache));
        TensorCheck.Is(vCache, q.DType, nameof(vCache));
        TensorCheck.Is(positions, DType.I32, nameof(positions));
        TensorCheck.ShapeIs(positions, new Shape(tokens), nameof(positions));
        TensorCheck.Is(slotMapping, DType.I32, nameof(slotMapping));
        TensorCheck.ShapeIs(slotMapping, new Shape(tokens), nameof(slotMapping));
        TensorCheck.Rank(kCache, 3, nameof(kCache));
        TensorCheck.ShapeIs(kCache, new Shape(kCache.Shape[0], kvHeads, headDim), nameof(kCache));
        TensorCheck.ShapeIs(vCache, kCache.Shape, nameof(vCache));
        if (!float.IsFinite(theta) || theta <= 0)
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "the RoPE base must be a positive finite number");

        if (tokens == 0 || headDim == 0) return;
        long pairs = Math.Max(heads, kvHeads) * headDim / 2; // rotations per token in the larger of q and k
        var args = new KernelArgs().Add(q).Add(k).Add(v).Add(positions).Add(slotMapping).Add(kCache).Add(vCache)
            .Add((int)heads).Add((int)kvHeads).Add((int)headDim).Add(theta);
        Launch($"dyc_rope_and_store_kv_{Suffix(q.DType)}", RowGrid(tokens, q, nameof(q)),
            (int)Math.Clamp((pairs + 31) / 32 * 32, 32, 256), args);
    }
}
