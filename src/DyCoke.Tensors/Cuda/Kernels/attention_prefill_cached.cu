// Chunked-prefill attention over the KV cache: a CTA owns 64 query rows of one head of a chunk and streams its
// sequence's context (earlier prefix + the chunk itself, addressed by a slot list) through shared memory in 32-key
// tiles with an online softmax in fp32; causal in context positions. Same tiling as attention_prefill.cu, gathered K/V.
#include "dyc_common.cuh"

#define DYC_PFC_ROWS 64     // query rows per CTA
#define DYC_PFC_KEYS 32     // keys per shared-memory tile
#define DYC_PFC_THREADS 128 // 16 row groups × 8 column lanes; a row group is 8 adjacent lanes of one warp
#define DYC_PFC_PSTRIDE 40  // probability tile row stride: the 4 row groups of a warp land on distinct banks
#define DYC_PFC_NEG_INF __int_as_float(0xff800000u)

// The offsets and slots live on the device (the host never reads them), so they are checked here; a bad list is a
// caller bug and trapping fails the launch loudly instead of touching another tensor's memory.
__device__ __forceinline__ void dyc_pfc_fail() { asm volatile("trap;"); }

// Maps a CTA's x index to (sequence, query tile within it), tiles numbered sequence by sequence, by a warp-wide scan
// of cuSeqLens 32 sequences at a time (every warp computes the same answer, no barrier). False for spare CTAs.
__device__ __forceinline__ bool dyc_pfc_find_tile(const i32* __restrict__ cuSeqLens, int numSeqs, int totalTokens,
                                                  int tileIndex, int* seq, int* tileInSeq)
{
    const int lane = threadIdx.x & 31;
    int before = 0;
    for (int b0 = 0; b0 < numSeqs; b0 += 32)
    {
        const int b = b0 + lane;
        int tiles = 0;
        if (b < numSeqs)
        {
            int s = cuSeqLens[b], e = cuSeqLens[b + 1];
            if (s < 0 || e < s || e > totalTokens) dyc_pfc_fail();
            tiles = (e - s + DYC_PFC_ROWS - 1) / DYC_PFC_ROWS;
        }
        int inclusive = tiles;
        for (int offset = 1; offset < 32; offset <<= 1)
        {
            int t = __shfl_up_sync(0xffffffffu, inclusive, offset);
            if (lane >= offset) inclusive += t;
        }
        unsigned hit = __ballot_sync(0xffffffffu, b < numSeqs && tileIndex < before + inclusive);
        if (hit != 0)
        {
            int src = __ffs(hit) - 1;
            int end = __shfl_sync(0xffffffffu, inclusive, src), count = __shfl_sync(0xffffffffu, tiles, src);
            *seq = b0 + src;
            *tileInSeq = tileIndex - (before + end - count);
            return true;
        }
        before += __shfl_sync(0xffffffffu, inclusive, 31);
    }
    return false;
}

// Copies `valid` rows of one head into a shared fp32 tile (times `factor`), zero-filling rows up to `rows`. Row r comes
// from src + rowOf(r)·rowPitch: the query rows are consecutive, the key/value rows are gathered through the slot list.
template <typename TAG>
__device__ __forceinline__ void dyc_pfc_stage(const typename TAG::T* __restrict__ src, i64 rowPitch,
                                              const i32* __restrict__ slots, int numSlots, int rows, int valid,
                                              int D, float factor, float* tile, int tileStride)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int r = warp; r < rows; r += DYC_PFC_THREADS / 32)
    {
        float* dst = tile + r * tileStride;
        if (r < valid)
        {
            i64 row = r;
            if (slots != 0)
            {
                const int slot = slots[r];
                if (slot < 0 || slot >= numSlots) dyc_pfc_fail();
                row = slot;
            }
            const typename TAG::T* p = src + row * rowPitch;
            for (int d = lane; d < D; d += 32) dst[d] = TAG::load(p[d]) * factor;
        }
        else
        {
            for (int d = lane; d < D; d += 32) dst[d] = 0.0f;
        }
    }
}

// grid (ceil(T/64) + B, H), block 128, dynamic shared memory as attention_prefill.cu (4·(128·D + 2656) bytes):
//   q tile 64 × (D + 1), K tile 32 × (D + 1), V tile 32 × D, P tile 64 × 40 floats.
// Sequence b has q_b = cuSeqLens[b+1] − cuSeqLens[b] queries and ctx_b = kvIndptr[b+1] − kvIndptr[b] ≥ q_b context
// slots; its query i sits at context position ctx_b − q_b + i. Thread (ty, tx) owns query rows ty + 16i (i < 4), key
// columns tx + 8j (j < 4) of each tile and output dims tx + 8k.
template <typename TAG, int DMAX>
__device__ __forceinline__ void dyc_prefill_cached(const typename TAG::T* __restrict__ q, const typename TAG::T* __restrict__ kCache,
                                                   const typename TAG::T* __restrict__ vCache, const i32* __restrict__ cuSeqLens,
                                                   const i32* __restrict__ kvIndptr, const i32* __restrict__ kvIndices,
                                                   typename TAG::T* __restrict__ out, int numSeqs, int totalTokens, int nnz,
                                                   int numSlots, int H, int Hkv, int D, float scale)
{
    extern __shared__ float smem[];
    const int qkStride = D + 1;
    float* qTile = smem;                              // [64, D + 1], pre-scaled queries
    float* kTile = qTile + DYC_PFC_ROWS * qkStride;   // [32, D + 1]
    float* vTile = kTile + DYC_PFC_KEYS * qkStride;   // [32, D]
    float* pTile = vTile + DYC_PFC_KEYS * D;          // [64, 40], this tile's probabilities

    int seq, tile;
    if (!dyc_pfc_find_tile(cuSeqLens, numSeqs, totalTokens, blockIdx.x, &seq, &tile)) return;
    const int seqStart = cuSeqLens[seq], len = cuSeqLens[seq + 1] - seqStart;
    const int ctxStart = kvIndptr[seq], ctxEnd = kvIndptr[seq + 1];
    if (ctxStart < 0 || ctxEnd < ctxStart || ctxEnd > nnz || ctxEnd - ctxStart < len) dyc_pfc_fail();
    const int q0 = tile * DYC_PFC_ROWS;                   // first query row of the tile, within the sequence
    const int pos0 = (ctxEnd - ctxStart) - len + q0;      // its context position
    const int h = blockIdx.y, kvHead = h / (H / Hkv);
    const int tid = threadIdx.x, tx = tid & 7, ty = tid >> 3;
    const i64 kvPitch = (i64)Hkv * D;

    dyc_pfc_stage<TAG>(q + ((i64)(seqStart + q0) * H + h) * D, (i64)H * D, 0, 0, DYC_PFC_ROWS, min(DYC_PFC_ROWS, len - q0),
                       D, scale, qTile, qkStride);

    float o[4][DMAX / 8];
    float m[4], l[4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        m[i] = DYC_PFC_NEG_INF;
        l[i] = 0.0f;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c) o[i][c] = 0.0f;
    }

    // Keys past the tile's last query position are masked for every row and never loaded.
    const int keyEnd = pos0 + min(DYC_PFC_ROWS, len - q0);
    for (int k0 = 0; k0 < keyEnd; k0 += DYC_PFC_KEYS)
    {
        const int n = min(DYC_PFC_KEYS, keyEnd - k0);
        __syncthreads(); // the previous tiles are consumed (first time: the queries are staged)
        const i32* tileSlots = kvIndices + ctxStart + k0;
        dyc_pfc_stage<TAG>(kCache + kvHead * D, kvPitch, tileSlots, numSlots, DYC_PFC_KEYS, n, D, 1.0f, kTile, qkStride);
        dyc_pfc_stage<TAG>(vCache + kvHead * D, kvPitch, tileSlots, numSlots, DYC_PFC_KEYS, n, D, 1.0f, vTile, D);
        __syncthreads();

        float s[4][4];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j) s[i][j] = 0.0f;
        for (int d = 0; d < D; ++d)
        {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) a[i] = qTile[(ty + 16 * i) * qkStride + d];
#pragma unroll
            for (int j = 0; j < 4; ++j) b[j] = kTile[(tx + 8 * j) * qkStride + d];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) s[i][j] = fmaf(a[i], b[j], s[i][j]);
        }

#pragma unroll
        for (int i = 0; i < 4; ++i)
        {
            const int row = ty + 16 * i, position = pos0 + row;
            float rowMax = DYC_PFC_NEG_INF;
#pragma unroll
            for (int j = 0; j < 4; ++j)
            {
                const int col = tx + 8 * j;
                if (col >= n || k0 + col > position) s[i][j] = DYC_PFC_NEG_INF;
                rowMax = fmaxf(rowMax, s[i][j]);
            }
            for (int offset = 1; offset < 8; offset <<= 1) rowMax = fmaxf(rowMax, __shfl_xor_sync(0xffffffffu, rowMax, offset));
            const float mNew = fmaxf(m[i], rowMax);
            // A row with nothing unmasked yet keeps m = −∞; shifting by 0 then gives p = 0 instead of NaN.
            const float shift = mNew == DYC_PFC_NEG_INF ? 0.0f : mNew;
            const float corr = expf(m[i] - shift);
            float rowSum = 0.0f;
#pragma unroll
            for (int j = 0; j < 4; ++j)
            {
                const float p = expf(s[i][j] - shift);
                pTile[row * DYC_PFC_PSTRIDE + tx + 8 * j] = p;
                rowSum += p;
            }
            for (int offset = 1; offset < 8; offset <<= 1) rowSum += __shfl_xor_sync(0xffffffffu, rowSum, offset);
            l[i] = l[i] * corr + rowSum;
            m[i] = mNew;
#pragma unroll
            for (int c = 0; c < DMAX / 8; ++c) o[i][c] *= corr;
        }
        __syncthreads(); // pTile is complete

        for (int key = 0; key < n; ++key)
        {
            float p[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) p[i] = pTile[(ty + 16 * i) * DYC_PFC_PSTRIDE + key];
            const float* vRow = vTile + key * D;
#pragma unroll
            for (int c = 0; c < DMAX / 8; ++c)
            {
                const int d = tx + 8 * c;
                if (d < D)
                {
                    const float vd = vRow[d];
#pragma unroll
                    for (int i = 0; i < 4; ++i) o[i][c] = fmaf(p[i], vd, o[i][c]);
                }
            }
        }
    }

#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        const int row = ty + 16 * i;
        if (q0 + row >= len) continue;
        const float inv = 1.0f / l[i]; // l ≥ 1: every real row sees at least context position 0
        typename TAG::T* dst = out + ((i64)(seqStart + q0 + row) * H + h) * D;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c)
        {
            const int d = tx + 8 * c;
            if (d < D) dst[d] = TAG::store(o[i][c] * inv);
        }
    }
}

// Entry points written out, not generated by a macro (see attention_prefill.cu: NVRTC 11.8 with -lineinfo for sm_90).
// d64 serves D ≤ 64, d128 serves 64 < D ≤ 128.

extern "C" __global__ void dyc_attention_prefill_cached_d64_f32(const float* q, const float* kCache, const float* vCache,
    const i32* cuSeqLens, const i32* kvIndptr, const i32* kvIndices, float* out, int numSeqs, int totalTokens, int nnz,
    int numSlots, int H, int Hkv, int D, float scale)
{
    dyc_prefill_cached<dyc_f32, 64>(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, out, numSeqs, totalTokens, nnz, numSlots, H, Hkv, D, scale);
}

extern "C" __global__ void dyc_attention_prefill_cached_d64_f16(const f16* q, const f16* kCache, const f16* vCache,
    const i32* cuSeqLens, const i32* kvIndptr, const i32* kvIndices, f16* out, int numSeqs, int totalTokens, int nnz,
    int numSlots, int H, int Hkv, int D, float scale)
{
    dyc_prefill_cached<dyc_h16, 64>(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, out, numSeqs, totalTokens, nnz, numSlots, H, Hkv, D, scale);
}

extern "C" __global__ void dyc_attention_prefill_cached_d64_bf16(const bf16* q, const bf16* kCache, const bf16* vCache,
    const i32* cuSeqLens, const i32* kvIndptr, const i32* kvIndices, bf16* out, int numSeqs, int totalTokens, int nnz,
    int numSlots, int H, int Hkv, int D, float scale)
{
    dyc_prefill_cached<dyc_b16, 64>(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, out, numSeqs, totalTokens, nnz, numSlots, H, Hkv, D, scale);
}

extern "C" __global__ void dyc_attention_prefill_cached_d128_f32(const float* q, const float* kCache, const float* vCache,
    const i32* cuSeqLens, const i32* kvIndptr, const i32* kvIndices, float* out, int numSeqs, int totalTokens, int nnz,
    int numSlots, int H, int Hkv, int D, float scale)
{
    dyc_prefill_cached<dyc_f32, 128>(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, out, numSeqs, totalTokens, nnz, numSlots, H, Hkv, D, scale);
}

extern "C" __global__ void dyc_attention_prefill_cached_d128_f16(const f16* q, const f16* kCache, const f16* vCache,
    const i32* cuSeqLens, const i32* kvIndptr, const i32* kvIndices, f16* out, int numSeqs, int totalTokens, int nnz,
    int numSlots, int H, int Hkv, int D, float scale)
{
    dyc_prefill_cached<dyc_h16, 128>(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, out, numSeqs, totalTokens, nnz, numSlots, H, Hkv, D, scale);
}

extern "C" __global__ void dyc_attention_prefill_cached_d128_bf16(const bf16* q, const bf16* kCache, const bf16* vCache,
    const i32* cuSeqLens, const i32* kvIndptr, const i32* kvIndices, bf16* out, int numSeqs, int totalTokens, int nnz,
    int numSlots, int H, int Hkv, int D, float scale)
{
    dyc_prefill_cached<dyc_b16, 128>(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, out, numSeqs, totalTokens, nnz, numSlots, H, Hkv, D, scale);
}
