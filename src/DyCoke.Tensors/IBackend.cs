// The op table every compute backend implements (CPU now, CUDA next). Model and engine code call only this.
// Every op takes its output tensors: nothing here allocates on the hot path. Shapes are checked at the boundary.
namespace DyCoke.Tensors;

/// <summary>GELU variants: SigLIP uses the tanh approximation; the LLaVA projector uses the exact erf form.</summary>
public enum GeluApproximation
{
    /// <summary>0.5·x·(1 + erf(x/√2)) — PyTorch <c>gelu</c>.</summary>
    Erf,
    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — PyTorch <c>gelu(approximate="tanh")</c>.</summary>
    Tanh,
}

/// <summary>
/// Compute ops over <see cref="Tensor"/>. Activations are F32 on the CPU backend (F16/BF16 on CUDA); weights may be
/// F32, F16 or BF16. Index tensors are I32. All tensors must live on this backend's device.
/// </summary>
public interface IBackend : IDisposable
{
    string Name { get; }
    DeviceKind Device { get; }

    /// <summary>A zeroed tensor on this backend's device, owned by the caller.</summary>
    Tensor Allocate(DType dtype, Shape shape);

    /// <summary>
    /// A tensor on this backend's device whose contents are undefined, owned by the caller: for an op output that the
    /// op writes in full before anything reads it. It skips the zero fill, a memset over the whole tensor on the CPU and
    /// a memset launch on a GPU, paid by every intermediate of every layer otherwise.
    /// </summary>
    Tensor AllocateUninitialized(DType dtype, Shape shape);

    /// <summary>Waits until all queued work is done (no-op on the CPU).</summary>
    void Synchronize();

    /// <summary>
    /// Starts body(i) for every i in [0, count) on host threads of this backend and returns at once: for independent
    /// host work between ops that the next few ops do not need, so it runs while they compute (DyCoke's per-sequence
    /// decisions run during layer L − 1's MLP and layer L's projections, which are not pruned). Call
    /// <see cref="IHostWork.Wait"/> before using what body produces; it rethrows the first exception. The CPU backend
    /// hands the items to its own workers (awake during a step; a small decode batch's ops leave them idle), and Wait
    /// runs every item no worker has taken yet on the waiting thread, so a busy or descheduled worker never costs more
    /// than running them in place; a GPU backend uses the thread pool. body must be thread-safe across distinct i and
    /// must not call this backend.
    /// </summary>
    IHostWork StartHost(int count, Action<int> body);

    // ---- data movement ----

    /// <summary>dst ← src, same dtype and element count (shapes may differ). Either may be a host tensor.</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>dst ← src converted elementwise between any two of F32/F16/BF16 (RNE) or I32/I64 ↔ F32.</summary>
    void Convert(Tensor src, Tensor dst);

    /// <summary>dst[i, :] = src[indices[i], :]. src [R, C], indices I32 [n], dst [n, C] (same dtype as src).</summary>
    void GatherRows(Tensor src, Tensor indices, Tensor dst);

    // ---- dense layers ----

    /// <summary>y[M, N] = x[M, K] · Wᵀ + b. W in PyTorch layout [N, K] (F32/F16/BF16); b [N] optional.</summary>
    void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y);

    /// <summary>y[T, C] = table[ids[T], :]. ids I32 [T]; table [V, C] of any float dtype; y F32 (CPU).</summary>
    void Embedding(Tensor ids, Tensor table, Tensor y);

    // ---- norms and elementwise ----

    /// <summary>y = x / sqrt(mean(x²) + eps) · w over the last dim. x, y [R, C]; w [C].</summary>
    void RmsNorm(Tensor x, Tensor weight, float eps, Tensor y);

    /// <summary>Fused residual add then RmsNorm: residual ← residual + x; y = RmsNorm(residual). All [R, C].</summary>
    void AddRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps, Tensor y);

    /// <summary>y = (x − mean) / sqrt(var + eps) · w + b over the last dim (biased variance). x, y [R, C]; w, b [C].</summary>
    void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y);

    /// <summary>y = a + b elementwise, same shapes (y may alias a or b).</summary>
    void Add(Tensor a, Tensor b, Tensor y);

    /// <summary>y[R, I] = silu(gateUp[:, :I]) · gateUp[:, I:], gateUp [R, 2I] (gate and up projections concatenated).</summary>
    void SiluMul(Tensor gateUp, Tensor y);

    /// <summary>y = gelu(x) elementwise (y may alias x).</summary>
    void Gelu(Tensor x, GeluApproximation approximation, Tensor y);

    /// <summary>Max-shifted softmax over the last dim: y[r, i] = exp(x[r, i] − max_r) / Σ exp(x[r, :] − max_r).</summary>
    void Softmax(Tensor x, Tensor y);

    // ---- attention and KV cache ----
    // The caches hold the activation dtype; a CPU backend also takes BF16 caches (stored rounded to nearest even,
    // widened exactly on load), which halve the bytes a decode step reads.

    /// <summary>
    /// NeoX rotary embedding (pairs (i, i + D/2), inv_freq = θ^(−2i/D)) at explicit positions, applied in place to
    /// q [T, H, D] and k [T, Hkv, D]; then kCache[slotMapping[t]] ← k[t] (rotated) and vCache[slotMapping[t]] ← v[t].
    /// positions, slotMapping I32 [T]; kCache, vCache [S, Hkv, D]. A negative slot skips the store for that token.
    /// </summary>
    void RopeAndStoreKv(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta);

    /// <summary>
    /// Variable-length batched attention over fresh q/k/v. q [T, H, D], k, v [T, Hkv, D], out [T, H, D];
    /// cuSeqLens I32 [B + 1] gives each sequence's token range; H must be a multiple of Hkv (GQA).
    /// Causal masks key j &gt; query i within a sequence. softmax(q·kᵀ·scale)·v per head.
    /// </summary>
    void AttentionPrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, bool causal, float scale, Tensor output);

    /// <summary>
    /// One new query token per sequence attending over a list of cached slots. q [B, H, D]; kCache, vCache [S, Hkv, D];
    /// sequence b attends to slots kvIndices[kvIndptr[b] .. kvIndptr[b+1]) (I32). out [B, H, D].
    /// When meanProbs (F32 [nnz]) is given, meanProbs[j] = mean over the H heads of the softmax probability of
    /// listed slot j for its sequence (DyCoke's decode-time score).
    /// </summary>
    void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs);

    /// <summary>
    /// Causal prefill of a chunk over a cached prefix (chunked prefill). q, out [T, H, D]; kCache, vCache [S, Hkv, D];
    /// cuSeqLens I32 [B + 1] gives sequence b's q_b query rows; its context is the ctx_b ≥ q_b slots
    /// kvIndices[kvIndptr[b] .. kvIndptr[b + 1]) (I32) in position order, the chunk's own tokens last (store their K/V
    /// first, e.g. with <see cref="RopeAndStoreKv"/>). Query row i of sequence b sits at context position
    /// ctx_b − q_b + i and attends to context positions ≤ that. H must be a multiple of Hkv (GQA). With an empty
    /// prefix (ctx_b = q_b) this is <see cref="AttentionPrefill"/> (causal) over the cached copies of the chunk's K/V.
    /// </summary>
    void AttentionPrefillCached(Tensor q, Tensor kCache, Tensor vCache, Tensor cuSeqLens, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output);

    // ---- vision and DyCoke helpers ----

    /// <summary>
    /// Bilinear resize, PyTorch <c>interpolate(mode="bilinear", align_corners=False)</c>, channels-last:
    /// x [N, Hin, Win, C] → y [N, Hout, Wout, C]. (Equal to PyTorch on the NCHW permutation of the same data.)
    /// </summary>
    void BilinearResize(Tensor x, Tensor y);

    /// <summary>out[r] = a[r]·b[r] / max(‖a[r]‖·‖b[r]‖, 1e-8). a, b [R, C]; out F32 [R].</summary>
    void RowCosine(Tensor a, Tensor b, Tensor output);

    /// <summary>
    /// Per row of scores [R, N]: the k largest values in descending order, ties broken by the lower index (stable).
    /// values F32 [R, k]; indices I32 [R, k].
    /// </summary>
    void TopK(Tensor scores, int k, Tensor values, Tensor indices);

    /// <summary>indices[r] = argmax of x[r, :] (x [R, N]); the first index wins ties. indices I32 [R].</summary>
    void ArgMax(Tensor x, Tensor indices);
}
