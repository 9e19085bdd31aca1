// Chunked-prefill attention on CUDA (Kernels/attention_prefill_cached.cu): a chunk's queries attend causally over their
// sequence's cached context through slot lists; the tiling, grid and shared memory of AttentionPrefill.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <inheritdoc cref="IBackend.AttentionPrefillCached"/>
    /// <remarks>
    /// The grid is sized from shapes alone (ceil(T/64) + B query tiles per head); each CTA finds its (sequence, tile)
    /// on the device, so the host never reads the offsets or slots back. They are checked on the device as far as
    /// memory safety needs (0 ≤ start ≤ end ≤ total for both offset vectors, ctx_b ≥ q_b, 0 ≤ slot &lt; S; a violation
    /// traps). Output rows no sequence covers are left unwritten.
    /// </remarks>
    /// <exception cref="ArgumentException">A tensor is not on this device, q/kCache/vCache/output differ in dtype or are
    /// not F32/F16/BF16, an index tensor is not an I32 vector, cuSeqLens and kvIndptr differ in length or are empty, the
    /// shapes disagree, H is not a positive multiple of Hkv, or D is outside 1..128.</exception>
    /// <exception cref="NotSupportedException">The device cannot give a CTA the shared memory D needs.</exception>
    public void AttentionPrefillCached(Tensor q, Tensor kCache, Tensor vCache, Tensor cuSeqLens, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output)
    {
        ValidatePrefillCached(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, output);
        long t = q.Shape[0], h = q.Shape[1], d = q.Shape[2], s = kCache.Shape[0], hkv = kCache.Shape[1], b = cuSeqLens.Shape[0] - 1;
        if (t == 0 || b == 0) return;

        string kernel = $"dyc_attention_prefill_cached_{(d <= 64 ? "d64" : "d128")}_{Suffix(q.DType)}";
        int sharedBytes = PrefillSharedBytes((int)d);
        EnsureDynamicSharedMemory(kernel, sharedBytes);
        long tiles = (t + PrefillQueryTile - 1) / PrefillQueryTile + b;
        var args = new KernelArgs().Add(q).Add(kCache).Add(vCache).Add(cuSeqLens).Add(kvIndptr).Add(kvIndices).Add(output)
            .Add((int)b).Add((int)t).Add((int)kvIndices.Shape[0]).Add((int)s).Add((int)h).Add((int)hkv).Add((int)d).Add(scale);
        Launch(kernel, new Dim3((uint)tiles, (uint)h), PrefillThreads, args, (uint)sharedBytes);
    }

    private static void ValidatePrefillCached(Tensor q, Tensor kCache, Tensor vCache, Tensor cuSeqLens, Tensor kvIndptr, Tensor kvIndices, Tensor output)
    {
        OnDevice(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, output);
        CheckAttentionFloats(q, (kCache, nameof(kCache)), (vCache, nameof(vCache)), output);
        foreach (var (tensor, name) in new[] { (cuSeqLens, nameof(cuSeqLens)), (kvIndptr, nameof(kvIndptr)), (kvIndices, nameof(kvIndices)) })
            TensorCheck.IndexVector(tensor, name);
        if (cuSeqLens.Shape[0] == 0)
            throw new ArgumentException($"{nameof(cuSeqLens)} has shape {cuSeqLens.Shape}, expected [B + 1] with at least one entry", nameof(cuSeqLens));
        TensorCheck.ShapeIs(kvIndptr, cuSeqLens.Shape, nameof(kvIndptr));
        long t = q.Shape[0], h = q.Shape[1], d = q.Shape[2];
        TensorCheck.CacheAttentionShapes(q, kCache, vCache, output);
        CheckHeadDim(d, nameof(q));
        if (t > int.MaxValue || h > ushort.MaxValue || cuSeqLens.Shape[0] > int.MaxValue || kvIndices.Shape[0] > int.MaxValue || kCache.Shape[0] > int.MaxValue)
            throw new ArgumentException($"chunked prefill sizes exceed the kernel's 32-bit indices: q {q.Shape}, kvIndices {kvIndices.Shape}, kCache {kCache.Shape}", nameof(q));
    }
}
