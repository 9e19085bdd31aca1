// Prefill attention on CUDA (Kernels/attention_prefill.cu): one CTA per (64-query tile, head) across a varlen batch,
// K/V tiles streamed through shared memory with an online softmax; plus the dynamic shared-memory opt-in it needs.
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    // Must match DYC_AT_ROWS, DYC_AT_KEYS, DYC_AT_THREADS and DYC_AT_PSTRIDE in Kernels/dyc_attention_tiles.cuh.
    private const int PrefillQueryTile = 64;
    private const int PrefillKeyTile = 32;
    private const int PrefillThreads = 128;
    private const int PrefillProbabilityStride = 40;
    private const int DefaultDynamicSharedLimit = 48 * 1024;

    // Kernels whose dynamic shared-memory limit was raised past the 48 KB default, and to how many bytes.
    private readonly Dictionary<string, int> _dynamicSharedLimits = new(StringComparer.Ordinal);

    /// <inheritdoc cref="IBackend.AttentionPrefill"/>
    /// <remarks>
    /// The grid is sized from shapes alone (ceil(T/64) + B query tiles per head, an upper bound on Σ ceil(len_b/64));
    /// each CTA finds its (sequence, tile) by scanning cuSeqLens on the device, so the host never reads it back and a
    /// captured graph stays valid for any lengths summing to at most T. Empty sequences are allowed. cuSeqLens is
    /// checked on the device only as far as memory safety needs (0 ≤ start ≤ end ≤ T per sequence; a violation traps);
    /// output rows no sequence covers are left unwritten.
    /// </remarks>
    /// <exception cref="ArgumentException">A tensor is not on this device, q/k/v/output differ in dtype or are not
    /// F32/F16/BF16, cuSeqLens is not an I32 vector with at least one entry, the shapes disagree, H is not a positive
    /// multiple of Hkv, or D is outside 1..128.</exception>
    /// <exception cref="NotSupportedException">The device cannot give a CTA the shared memory D needs (D &gt; 64 needs
    /// up to 74.4 KB; every GPU from sm_80 on can).</exception>
    public void AttentionPrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, bool causal, float scale, Tensor output)
    {
        ValidatePrefill(q, k, v, cuSeqLens, output);
        long t = q.Shape[0], h = q.Shape[1], d = q.Shape[2], hkv = k.Shape[1], b = cuSeqLens.Shape[0] - 1;
        if (t == 0 || b == 0) return;

        string kernel = $"dyc_attention_prefill_{(d <= 64 ? "d64" : "d128")}_{Suffix(q.DType)}";
        int sharedBytes = PrefillSharedBytes((int)d);
        EnsureDynamicSharedMemory(kernel, sharedBytes);
        long tiles = (t + PrefillQueryTile - 1) / PrefillQueryTile + b;
        var args = new KernelArgs().Add(q).Add(k).Add(v).Add(cuSeqLens).Add(output)
            .Add((int)b).Add((int)t).Add((int)h).Add((int)hkv).Add((int)d).Add(causal ? 1 : 0).Add(scale);
        Launch(kernel, new Dim3((uint)tiles, (uint)h), PrefillThreads, args, (uint)sharedBytes);
    }

    /// <summary>
    /// Dynamic shared memory of one prefill CTA: fp32 query tile [64, D + 1], K tile [32, D + 1], V tile [32, D] and
    /// probability tile [64, 40]; 42.4 KB at D = 64, 46.4 KB at D = 72, 74.4 KB at D = 128.
    /// </summary>
    internal static int PrefillSharedBytes(int d) =>
        sizeof(float) * (PrefillQueryTile * (d + 1) + PrefillKeyTile * (d + 1) + PrefillKeyTile * d + PrefillQueryTile * PrefillProbabilityStride);

    /// <summary>
    /// Lets <paramref name="kernel"/> launch with <paramref name="bytes"/> of dynamic shared memory. Beyond 48 KB CUDA
    /// requires an explicit per-function opt-in; it is set once per kernel (at the first call, before any capture).
    /// </summary>
    /// <exception cref="NotSupportedException">The device's per-block opt-in maximum is smaller.</exception>
    internal void EnsureDynamicSharedMemory(string kernel, int bytes)
    {
        if (bytes <= DefaultDynamicSharedLimit) return;
        if (_dynamicSharedLimits.TryGetValue(kernel, out int limit) && limit >= bytes) return;
        if (bytes > Gpu.Info.MaxSharedMemoryPerBlockOptin)
            throw new NotSupportedException($"{kernel} needs {bytes} bytes of shared memory per block; {Gpu.Info.Name} allows {Gpu.Info.MaxSharedMemoryPerBlockOptin}");
        Gpu.MakeCurrent();
        CudaException.Check(CuDriver.FuncSetAttribute(Kernel(kernel), CuDriver.FuncAttributeMaxDynamicSharedSizeBytes, bytes),
            "cuFuncSetAttribute", () => $"{kernel} MAX_DYNAMIC_SHARED_SIZE_BYTES = {bytes}");
        _dynamicSharedLimits[kernel] = bytes;
    }

    private static void ValidatePrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, Tensor output)
    {
        OnDevice(q, k, v, cuSeqLens, output);
        CheckAttentionFloats(q, (k, nameof(k)), (v, nameof(v)), output);
        TensorCheck.Is(cuSeqLens, DType.I32, nameof(cuSeqLens));
        TensorCheck.Rank(cuSeqLens, 1, nameof(cuSeqLens));
        if (cuSeqLens.Shape[0] == 0)
            throw new ArgumentException($"{nameof(cuSeqLens)} has shape {cuSeqLens.Shape}, expected [B + 1] with at least one entry", nameof(cuSeqLens));
        long t = q.Shape[0], h = q.Shape[1], d = q.Shape[2], hkv = k.Shape[1];
        if (k.Shape[0] != t || k.Shape[2] != d)
            throw new ArgumentException($"k has shape {k.Shape}, expected [{t}, Hkv, {d}] to match q {q.Shape}", nameof(k));
        TensorCheck.SameShape(k, v, nameof(k), nameof(v));
        TensorCheck.SameShape(q, output, nameof(q), nameof(output));
        if (h == 0 || hkv == 0 || h % hkv != 0)
            throw new ArgumentException($"q has {h} heads, expected a positive multiple of the {hkv} kv heads of k {k.Shape}", nameof(q));
        CheckHeadDim(d, nameof(q));
        if (t > int.MaxValue || h > ushort.MaxValue || cuSeqLens.Shape[0] > int.MaxValue)
            throw new ArgumentException($"prefill sizes exceed the kernel's grid: q {q.Shape}, cuSeqLens {cuSeqLens.Shape}", nameof(q));
    }
}
