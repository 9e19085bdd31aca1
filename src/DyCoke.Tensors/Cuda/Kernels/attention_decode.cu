// Decode attention over per-sequence slot lists (CSR kvIndptr/kvIndices into a [S, Hkv, D] cache, page size 1) with
// split-KV: partial softmax states per (sequence, head, split), a log-sum-exp merge, and DyCoke's mean-over-heads
// probabilities recomputed from the merged statistics. fp32 math over F32/F16/BF16 storage; D ≤ 128.
#include "dyc_common.cuh"

#define DYC_DEC_TILE 32        // slots staged in shared memory per step: one per lane when scoring
#define DYC_DEC_MAX_D 128      // per-lane accumulators cover 4 × 32 dims
#define DYC_DEC_MAX_WARPS 8    // query heads per CTA, one warp each (the host splits larger GQA groups)
#define DYC_DEC_MAX_SPLITS 64  // the host never asks for more
#define DYC_NEG_INF __int_as_float(0xff800000u)

// Index lists come from the device (graph-friendly: the host never reads them), so they are checked here. Bad lists
// are a caller bug; trapping fails the launch loudly instead of reading another tensor's memory.
__device__ __forceinline__ void dyc_fail() { asm volatile("trap;"); }

// Sequence b's slice [begin, end) of kvIndices, checked against the index tensor's length.
__device__ __forceinline__ void dyc_decode_range(const i32* __restrict__ indptr, int b, int nnz, int* begin, int* end)
{
    int s = indptr[b], e = indptr[b + 1];
    if (s < 0 || e < s || e > nnz) dyc_fail();
    *begin = s;
    *end = e;
}

// Slots per split of a list of `len`: an even share, but at least minChunk and a whole number of tiles, so short lists
// use fewer splits instead of many nearly empty ones. All three kernels derive the same active split count from it.
__device__ __forceinline__ int dyc_decode_chunk(int len, int splits, int minChunk)
{
    int even = (len + splits - 1) / splits;
    int chunk = even > minChunk ? even : minChunk;
    return (chunk + DYC_DEC_TILE - 1) / DYC_DEC_TILE * DYC_DEC_TILE;
}

// A plain fmaf chain in index order: the attention pass and the probability pass both score through it, so the
// probabilities use bit-identical scores to the ones the merged max and sum were built from (p ≤ 1, Σp = 1).
__device__ __forceinline__ float dyc_decode_dot(const float* a, const float* b, int n)
{
    float s = 0.0f;
    for (int i = 0; i < n; ++i) s = fmaf(a[i], b[i], s);
    return s;
}

// Stages rows of one kv head for list positions [first, first + n) into shared memory as fp32 (rows ≥ n are zeroed so
// masked lanes never multiply stale, possibly non-finite, data). Warps take rows; lanes take dims (coalesced).
template <typename TAG>
__device__ __forceinline__ void dyc_decode_stage(const typename TAG::T* __restrict__ cache, const i32* __restrict__ indices,
                                                 int first, int n, int kvHead, int Hkv, int D, int numSlots,
                                                 float* tile, int tileStride)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int r = warp; r < DYC_DEC_TILE; r += warps)
    {
        float* dst = tile + r * tileStride;
        if (r < n)
        {
            int slot = indices[first + r];
            if ((unsigned)slot >= (unsigned)numSlots) dyc_fail();
            const typename TAG::T* src = cache + ((i64)slot * Hkv + kvHead) * D;
            for (int d = lane; d < D; d += 32) dst[d] = TAG::load(src[d]);
        }
        else
        {
            for (int d = lane; d < D; d += 32) dst[d] = 0.0f;
        }
    }
}

// Pass 1. grid (B, Hkv · headChunks, splits), block 32 · headsPerCta. One CTA: one split of one sequence's list for up
// to 8 query heads of one kv head (the whole GQA group for Qwen2), so each K/V row is fetched once per CTA.
// Shared memory (static): K tile 32 × 129 + V tile 32 × 128 + queries 8 × 128 floats = 36.1 KB.
// Registers: 4 accumulators, running max and sum per lane (one head per warp); well under 64 per thread.
// Writes partAcc [B, H, splits, D] (unnormalised Σ p·v) and partMl [B, H, splits, 2] (max, Σ p) for active splits.
template <typename TAG>
__device__ __forceinline__ void dyc_decode_partial(const typename TAG::T* __restrict__ q, const typename TAG::T* __restrict__ kCache,
                                                   const typename TAG::T* __restrict__ vCache, const i32* __restrict__ indptr,
                                                   const i32* __restrict__ indices, float* __restrict__ partAcc,
                                                   float* __restrict__ partMl, int H, int Hkv, int D, int numSlots, int nnz,
                                                   int headsPerCta, int minChunk, float scale)
{
    __shared__ float kTile[DYC_DEC_TILE * (DYC_DEC_MAX_D + 1)]; // [32, D + 1]: odd stride, lanes read distinct banks
    __shared__ float vTile[DYC_DEC_TILE * DYC_DEC_MAX_D];       // [32, D]
    __shared__ float qRows[DYC_DEC_MAX_WARPS * DYC_DEC_MAX_D];  // [headsPerCta, D], pre-scaled

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int b = blockIdx.x, split = blockIdx.z, splits = gridDim.z;
    const int group = H / Hkv, headChunks = (group + headsPerCta - 1) / headsPerCta;
    const int kvHead = blockIdx.y / headChunks;
    const int inGroup = (blockIdx.y % headChunks) * headsPerCta + warp;
    const bool hasHead = inGroup < group;
    const int h = kvHead * group + inGroup;

    int begin, end;
    dyc_decode_range(indptr, b, nnz, &begin, &end);
    const int len = end - begin;
    const int chunk = dyc_decode_chunk(len, splits, minChunk);
    if ((i64)split * chunk >= len) return; // an idle split (short list): the merge never reads it
    const int lo = split * chunk, hi = min(len, lo + chunk);

    const int kStride = D + 1;
    float* q_s = qRows + warp * DYC_DEC_MAX_D;
    if (hasHead)
    {
        const typename TAG::T* src = q + ((i64)b * H + h) * D;
        for (int d = lane; d < D; d += 32) q_s[d] = TAG::load(src[d]) * scale;
    }

    float m = DYC_NEG_INF, l = 0.0f;
    float acc[DYC_DEC_MAX_D / 32] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int t0 = lo; t0 < hi; t0 += DYC_DEC_TILE)
    {
        const int n = min(DYC_DEC_TILE, hi - t0);
        __syncthreads(); // the previous tile is consumed (first time: the queries are written)
        dyc_decode_stage<TAG>(kCache, indices, begin + t0, n, kvHead, Hkv, D, numSlots, kTile, kStride);
        dyc_decode_stage<TAG>(vCache, indices, begin + t0, n, kvHead, Hkv, D, numSlots, vTile, DYC_DEC_MAX_D);
        __syncthreads();
        if (!hasHead) continue;

        // Lane j scores slot j of the tile; then an online-softmax step for the warp's head.
        float s = lane < n ? dyc_decode_dot(q_s, kTile + lane * kStride, D) : DYC_NEG_INF;
        float mNew = fmaxf(m, dyc_warp_max(s)); // finite: the tile has at least one slot
        float corr = expf(m - mNew);            // 0 on the first tile, where m is −∞
        float p = expf(s - mNew);               // 0 for lanes past the tile's end
        l = l * corr + dyc_warp_sum(p);
        m = mNew;
#pragma unroll
        for (int i = 0; i < DYC_DEC_MAX_D / 32; ++i) acc[i] *= corr;
        for (int r = 0; r < n; ++r)
        {
            float pr = __shfl_sync(0xffffffffu, p, r);
            const float* vr = vTile + r * DYC_DEC_MAX_D;
#pragma unroll
            for (int i = 0; i < DYC_DEC_MAX_D / 32; ++i)
            {
                int d = lane + 32 * i;
                if (d < D) acc[i] = fmaf(pr, vr[d], acc[i]);
            }
        }
    }

    if (!hasHead) return;
    const i64 row = ((i64)b * H + h) * splits + split;
#pragma unroll
    for (int i = 0; i < DYC_DEC_MAX_D / 32; ++i)
    {
        int d = lane + 32 * i;
        if (d < D) partAcc[row * D + d] = acc[i];
    }
    if (lane == 0)
    {
        partMl[2 * row] = m;
        partMl[2 * row + 1] = l;
    }
}

// Pass 2. grid (B, H), block 128. Merges the active splits: out = Σ_s e^(m_s − M)·acc_s / Σ_s e^(m_s − M)·l_s with
// M = max_s m_s. An empty list gives zeros. When stats is given, stores (M, L) per (b, h) for the probability pass.
// Shared memory: 64 split weights (256 B).
template <typename TAG>
__device__ __forceinline__ void dyc_decode_merge(const i32* __restrict__ indptr, const float* __restrict__ partAcc,
                                                 const float* __restrict__ partMl, typename TAG::T* __restrict__ out,
                                                 float* __restrict__ stats, int H, int D, int nnz, int splits, int minChunk)
{
    __shared__ float weight[DYC_DEC_MAX_SPLITS];
    if (splits > DYC_DEC_MAX_SPLITS) dyc_fail();
    const int b = blockIdx.x, h = blockIdx.y;
    int begin, end;
    dyc_decode_range(indptr, b, nnz, &begin, &end);
    const int len = end - begin;
    const int chunk = dyc_decode_chunk(len, splits, minChunk);
    const int active = (len + chunk - 1) / chunk; // ≤ splits; 0 for an empty list
    const i64 row0 = ((i64)b * H + h) * splits;

    float M = DYC_NEG_INF;
    for (int s = 0; s < active; ++s) M = fmaxf(M, partMl[2 * (row0 + s)]);
    for (int s = threadIdx.x; s < active; s += blockDim.x) weight[s] = expf(partMl[2 * (row0 + s)] - M);
    __syncthreads();
    float L = 0.0f;
    for (int s = 0; s < active; ++s) L = fmaf(weight[s], partMl[2 * (row0 + s) + 1], L);
    const float inv = active > 0 ? 1.0f / L : 0.0f;

    typename TAG::T* dst = out + ((i64)b * H + h) * D;
    for (int d = threadIdx.x; d < D; d += blockDim.x)
    {
        float o = 0.0f;
        for (int s = 0; s < active; ++s) o = fmaf(weight[s], partAcc[(row0 + s) * D + d], o);
        dst[d] = TAG::store(o * inv);
    }
    if (stats != 0 && threadIdx.x == 0 && active > 0)
    {
        stats[2 * ((i64)b * H + h)] = M;
        stats[2 * ((i64)b * H + h) + 1] = L;
    }
}

// Pass 3 (DyCoke score). grid (B, splits), block 32 · headsPerCta; the same chunks as pass 1. For each listed slot j:
// meanProbs[j] = (1/H)·Σ_h exp(s_h(j) − M_h)/L_h, rescoring every head with pass 1's arithmetic. Warps take heads;
// per-warp sums are added in warp order, so the result is deterministic.
// Shared memory (static): K tile 32 × 129 + queries 8 × 128 + per-warp sums 8 × 32 floats = 21.6 KB.
template <typename TAG>
__device__ __forceinline__ void dyc_decode_probs(const typename TAG::T* __restrict__ q, const typename TAG::T* __restrict__ kCache,
                                                 const i32* __restrict__ indptr, const i32* __restrict__ indices,
                                                 const float* __restrict__ stats, float* __restrict__ meanProbs, int H, int Hkv,
                                                 int D, int numSlots, int nnz, int minChunk, float scale)
{
    __shared__ float kTile[DYC_DEC_TILE * (DYC_DEC_MAX_D + 1)]; // [32, D + 1]
    __shared__ float qRows[DYC_DEC_MAX_WARPS * DYC_DEC_MAX_D];  // [warps, D], one head per warp at a time
    __shared__ float warpSums[DYC_DEC_MAX_WARPS * DYC_DEC_TILE]; // [warps, 32]

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const int b = blockIdx.x, split = blockIdx.y, splits = gridDim.y;
    const int group = H / Hkv;
    int begin, end;
    dyc_decode_range(indptr, b, nnz, &begin, &end);
    const int len = end - begin;
    const int chunk = dyc_decode_chunk(len, splits, minChunk);
    if ((i64)split * chunk >= len) return;
    const int lo = split * chunk, hi = min(len, lo + chunk);

    const int kStride = D + 1;
    float* q_s = qRows + warp * DYC_DEC_MAX_D;
    for (int t0 = lo; t0 < hi; t0 += DYC_DEC_TILE)
    {
        const int n = min(DYC_DEC_TILE, hi - t0);
        float sum = 0.0f; // this warp's heads' probabilities of slot `lane`
        for (int g = 0; g < Hkv; ++g)
        {
            __syncthreads(); // the previous kv head's tile (and the previous warpSums) are consumed
            dyc_decode_stage<TAG>(kCache, indices, begin + t0, n, g, Hkv, D, numSlots, kTile, kStride);
            __syncthreads();
            for (int inGroup = warp; inGroup < group; inGroup += warps)
            {
                const int h = g * group + inGroup;
                const typename TAG::T* src = q + ((i64)b * H + h) * D;
                for (int d = lane; d < D; d += 32) q_s[d] = TAG::load(src[d]) * scale;
                __syncwarp();
                const float M = stats[2 * ((i64)b * H + h)], L = stats[2 * ((i64)b * H + h) + 1];
                if (lane < n) sum += expf(dyc_decode_dot(q_s, kTile + lane * kStride, D) - M) / L;
                __syncwarp(); // q_s is rewritten for the next head
            }
        }
        warpSums[warp * DYC_DEC_TILE + lane] = sum;
        __syncthreads();
        if (warp == 0 && lane < n)
        {
            float total = 0.0f;
            for (int w = 0; w < warps; ++w) total += warpSums[w * DYC_DEC_TILE + lane];
            meanProbs[begin + t0 + lane] = total / H;
        }
    }
}

// Entry points, one per storage type, written out: NVRTC 11.8 crashes compiling for sm_90 with -lineinfo when a kernel
// inlines a function of the same file on the kernel's own source line, which a DYC_FOR_FLOAT_TYPES macro always does.

extern "C" __global__ void dyc_attention_decode_f32(const dyc_f32::T* q, const dyc_f32::T* kCache, const dyc_f32::T* vCache,
    const i32* indptr, const i32* indices, float* partAcc, float* partMl, int H, int Hkv, int D, int numSlots, int nnz,
    int headsPerCta, int minChunk, float scale)
{
    dyc_decode_partial<dyc_f32>(q, kCache, vCache, indptr, indices, partAcc, partMl, H, Hkv, D, numSlots, nnz, headsPerCta,
                              minChunk, scale);
}

extern "C" __global__ void dyc_attention_decode_merge_f32(const i32* indptr, const float* partAcc, const float* partMl,
    dyc_f32::T* out, float* stats, int H, int D, int nnz, int splits, int minChunk)
{
    dyc_decode_merge<dyc_f32>(indptr, partAcc, partMl, out, stats, H, D, nnz, splits, minChunk);
}

extern "C" __global__ void dyc_attention_decode_probs_f32(const dyc_f32::T* q, const dyc_f32::T* kCache, const i32* indptr,
    const i32* indices, const float* stats, float* meanProbs, int H, int Hkv, int D, int numSlots, int nnz, int minChunk,
    float scale)
{
    dyc_decode_probs<dyc_f32>(q, kCache, indptr, indices, stats, meanProbs, H, Hkv, D, numSlots, nnz, minChunk, scale);
}

extern "C" __global__ void dyc_attention_decode_f16(const dyc_h16::T* q, const dyc_h16::T* kCache, const dyc_h16::T* vCache,
    const i32* indptr, const i32* indices, float* partAcc, float* partMl, int H, int Hkv, int D, int numSlots, int nnz,
    int headsPerCta, int minChunk, float scale)
{
    dyc_decode_partial<dyc_h16>(q, kCache, vCache, indptr, indices, partAcc, partMl, H, Hkv, D, numSlots, nnz, headsPerCta,
                              minChunk, scale);
}

extern "C" __global__ void dyc_attention_decode_merge_f16(const i32* indptr, const float* partAcc, const float* partMl,
    dyc_h16::T* out, float* stats, int H, int D, int nnz, int splits, int minChunk)
{
    dyc_decode_merge<dyc_h16>(indptr, partAcc, partMl, out, stats, H, D, nnz, splits, minChunk);
}

extern "C" __global__ void dyc_attention_decode_probs_f16(const dyc_h16::T* q, const dyc_h16::T* kCache, const i32* indptr,
    const i32* indices, const float* stats, float* meanProbs, int H, int Hkv, int D, int numSlots, int nnz, int minChunk,
    float scale)
{
    dyc_decode_probs<dyc_h16>(q, kCache, indptr, indices, stats, meanProbs, H, Hkv, D, numSlots, nnz, minChunk, scale);
}

extern "C" __global__ void dyc_attention_decode_bf16(const dyc_b16::T* q, const dyc_b16::T* kCache, const dyc_b16::T* vCache,
    const i32* indptr, const i32* indices, float* partAcc, float* partMl, int H, int Hkv, int D, int numSlots, int nnz,
    int headsPerCta, int minChunk, float scale)
{
    dyc_decode_partial<dyc_b16>(q, kCache, vCache, indptr, indices, partAcc, partMl, H, Hkv, D, numSlots, nnz, headsPerCta,
                              minChunk, scale);
}

extern "C" __global__ void dyc_attention_decode_merge_bf16(const i32* indptr, const float* partAcc, const float* partMl,
    dyc_b16::T* out, float* stats, int H, int D, int nnz, int splits, int minChunk)
{
    dyc_decode_merge<dyc_b16>(indptr, partAcc, partMl, out, stats, H, D, nnz, splits, minChunk);
}

extern "C" __global__ void dyc_attention_decode_probs_bf16(const dyc_b16::T* q, const dyc_b16::T* kCache, const i32* indptr,
    const i32* indices, const float* stats, float* meanProbs, int H, int Hkv, int D, int numSlots, int nnz, int minChunk,
    float scale)
{
    dyc_decode_probs<dyc_b16>(q, kCache, indptr, indices, stats, meanProbs, H, Hkv, D, numSlots, nnz, minChunk, scale);
}
