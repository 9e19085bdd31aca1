// Decode attention on CUDA (Kernels/attention_decode.cu): split-KV over per-sequence slot lists, a log-sum-exp merge,
// and DyCoke's mean-over-heads probabilities. Owns the split partials' device scratch, kept and grown across calls.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Largest head dim the decode and prefill kernels support (4 accumulators per lane, 8 per prefill thread).</summary>
    internal const int AttentionMaxHeadDim = 128;

    // Must match DYC_DEC_MAX_WARPS, DYC_DEC_MAX_SPLITS and DYC_DEC_TILE in attention_decode.cu.
    private const int DecodeMaxHeadsPerCta = 8;
    private const int DecodeMaxSplits = 64;
    // A split scores at least this many slots (two tiles), so a short list is not spread over mostly idle CTAs.
    private const int DecodeMinChunk = 64;

    // Split partials then merged statistics, as floats: acc [B, H, splits, D], (max, sum) [B, H, splits, 2],
    // (max, sum) [B, H, 2]. Allocated on first use and grown (never shrunk) when a call needs more; a CUDA graph
    // captured after a warm-up call of its largest shape therefore sees one fixed buffer.
    private CudaStorage? _decodeScratch;

    /// <inheritdoc cref="IBackend.AttentionDecode"/>
    /// <remarks>
    /// The number of KV splits depends only on shapes (B, Hkv, H and nnz, an upper bound on every list's length) and
    /// the SM count, never on the index contents, so the host never reads kvIndptr back and a captured graph stays
    /// valid when the lists change. Each CTA reads its own range from kvIndptr on the device. A sequence with no slots
    /// gets a zero output row and no meanProbs entries. Index contents are checked on the device only as far as memory
    /// safety needs (0 ≤ kvIndptr[b] ≤ kvIndptr[b+1] ≤ nnz, 0 ≤ slot &lt; S): a violation traps, failing the launch.
    /// </remarks>
    /// <exception cref="ArgumentException">A tensor is not on this device, q/kCache/vCache/output differ in dtype or
    /// are not F32/F16/BF16, an index tensor is not I32, the shapes disagree, H is not a positive multiple of Hkv, or D
    /// is outside 1..128.</exception>
    public void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs)
    {
        ValidateDecode(q, kCache, vCache, kvIndptr, kvIndices, output, meanProbs);
        var (_, headChunks) = DecodeHeadLayout((int)(q.Shape[1] / kCache.Shape[1]));
        int splits = DecodeSplits(q.Shape[0] * kCache.Shape[1] * headChunks, kvIndices.Shape[0]);
        RunAttentionDecode(q, kCache, vCache, kvIndptr, kvIndices, scale, output, meanProbs, splits);
    }

    /// <summary>
    /// <see cref="AttentionDecode"/> with an explicit split count (1..64) instead of the heuristic, so tests can cover
    /// single-split, uneven and mostly idle splits on any GPU.
    /// </summary>
    internal void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs, int splits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(splits, DecodeMaxSplits);
        ValidateDecode(q, kCache, vCache, kvIndptr, kvIndices, output, meanProbs);
        RunAttentionDecode(q, kCache, vCache, kvIndptr, kvIndices, scale, output, meanProbs, splits);
    }

    /// <summary>
    /// Splits per (sequence, kv head, head chunk): enough CTAs to cover every SM twice, but no more than the longest
    /// possible list (nnz) has minimum-size chunks for, and at most <see cref="DecodeMaxSplits"/>. On an H100 (132 SMs)
    /// batch 1 over 6.3k slots with 2 kv heads gets 64 splits (chunks round up to whole tiles: 50 busy CTAs of 128
    /// slots per kv head); batch 64 gets 3.
    /// </summary>
    private int DecodeSplits(long ctasPerSplit, long nnz)
    {
        long wanted = (2L * Gpu.Info.Multiprocessors + ctasPerSplit - 1) / Math.Max(ctasPerSplit, 1);
        long useful = (nnz + DecodeMinChunk - 1) / DecodeMinChunk;
        return (int)Math.Clamp(Math.Min(wanted, useful), 1, DecodeMaxSplits);
    }

    /// <summary>A GQA group of <paramref name="group"/> query heads as CTAs of at most 8 heads (one warp each).</summary>
    private static (int HeadsPerCta, int HeadChunks) DecodeHeadLayout(int group)
    {
        int headsPerCta = Math.Min(group, DecodeMaxHeadsPerCta);
        return (headsPerCta, (group + headsPerCta - 1) / headsPerCta);
    }

    private void RunAttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs, int splits)
    {
        int b = (int)q.Shape[0], h = (int)q.Shape[1], d = (int)q.Shape[2];
        int s = (int)kCache.Shape[0], hkv = (int)kCache.Shape[1], nnz = (int)kvIndices.Shape[0];
        if (b == 0) return;
        var (headsPerCta, headChunks) = DecodeHeadLayout(h / hkv);

        long accFloats = (long)b * h * splits * d, partialStatFloats = (long)b * h * splits * 2, statFloats = (long)b * h * 2;
        ulong partAcc = DecodeScratch(4 * (accFloats + partialStatFloats + statFloats)); // [B, H, splits, D]
        ulong partMl = partAcc + 4 * (ulong)accFloats;                                   // [B, H, splits, 2]
        ulong stats = partMl + 4 * (ulong)partialStatFloats;                             // [B, H, 2]
        string suffix = Suffix(q.DType);

        var partial = new KernelArgs().Add(q).Add(kCache).Add(vCache).Add(kvIndptr).Add(kvIndices).Add(partAcc).Add(partMl)
            .Add(h).Add(hkv).Add(d).Add(s).Add(nnz).Add(headsPerCta).Add(DecodeMinChunk).Add(scale);
        Launch($"dyc_attention_decode_{suffix}", new Dim3((uint)b, (uint)(hkv * headChunks), (uint)splits), 32 * headsPerCta, partial);

        var merge = new KernelArgs().Add(kvIndptr).Add(partAcc).Add(partMl).Add(output).Add(meanProbs is null ? 0UL : stats)
            .Add(h).Add(d).Add(nnz).Add(splits).Add(DecodeMinChunk);
        Launch($"dyc_attention_decode_merge_{suffix}", new Dim3((uint)b, (uint)h), 128, merge);

        if (meanProbs is null || nnz == 0) return;
        var probs = new KernelArgs().Add(q).Add(kCache).Add(kvIndptr).Add(kvIndices).Add(stats).Add(meanProbs)
            .Add(h).Add(hkv).Add(d).Add(s).Add(nnz).Add(DecodeMinChunk).Add(scale);
        Launch($"dyc_attention_decode_probs_{suffix}", new Dim3((uint)b, (uint)splits), 32 * headsPerCta, probs);
    }

    /// <summary>The device address of at least <paramref name="bytes"/> bytes of decode scratch (grown on demand).</summary>
    private ulong DecodeScratch(long bytes)
    {
        if (_decodeScratch is null || _decodeScratch.ByteCount < bytes)
        {
            // Freeing is stream-ordered: kernels already queued on the old buffer finish before its memory is reused.
            _decodeScratch?.Dispose();
            _decodeScratch = null;
            _decodeScratch = CudaStorage.Allocate(Gpu, Math.Max(bytes, 1L << 20));
        }
        return (ulong)_decodeScratch.Pointer;
    }

    partial void DisposeAttentionScratch()
    {
        _decodeScratch?.Dispose();
        _decodeScratch = null;
    }

    private static void ValidateDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, Tensor output, Tensor? meanProbs)
    {
        OnDevice(q, kCache, vCache, kvIndptr, kvIndices, output, meanProbs);
        CheckAttentionFloats(q, (kCache, nameof(kCache)), (vCache, nameof(vCache)), output);
        TensorCheck.IndexVector(kvIndptr, nameof(kvIndptr));
        TensorCheck.IndexVector(kvIndices, nameof(kvIndices));
        long b = q.Shape[0], h = q.Shape[1], d = q.Shape[2];
        TensorCheck.CacheAttentionShapes(q, kCache, vCache, output);
        CheckHeadDim(d, nameof(q));
        TensorCheck.ShapeIs(kvIndptr, new Shape(b + 1), nameof(kvIndptr));
        long nnz = kvIndices.Shape[0];
        if (nnz > int.MaxValue || kCache.Shape[0] > int.MaxValue || b * h > int.MaxValue)
            throw new ArgumentException($"decode sizes exceed 32-bit kernel indices: nnz {nnz}, kCache {kCache.Shape}, q {q.Shape}", nameof(kvIndices));
        if (meanProbs is not null)
        {
            TensorCheck.Is(meanProbs, DType.F32, nameof(meanProbs));
            TensorCheck.ShapeIs(meanProbs, new Shape(nnz), nameof(meanProbs));
        }
    }

    /// <summary>q, keys, values and out of an attention op: rank 3, one float dtype (the kernels load and store one type).</summary>
    private static void CheckAttentionFloats(Tensor q, (Tensor Tensor, string Name) keys, (Tensor Tensor, string Name) values, Tensor output)
    {
        TensorCheck.IsFloat(q, nameof(q));
        foreach (var (tensor, name) in (ReadOnlySpan<(Tensor, string)>)[(q, nameof(q)), keys, values, (output, nameof(output))])
        {
            TensorCheck.Is(tensor, q.DType, name);
            TensorCheck.Rank(tensor, 3, name);
        }
    }

    private static void CheckHeadDim(long d, string name)
    {
        if (d < 1 || d > AttentionMaxHeadDim)
            throw new ArgumentException($"{name} has head dim {d}; the CUDA attention kernels support 1..{AttentionMaxHeadDim}", name);
    }
}
