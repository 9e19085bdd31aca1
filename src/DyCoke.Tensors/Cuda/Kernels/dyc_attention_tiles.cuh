// The blocked online-softmax machinery both prefill attention kernels share (attention_prefill.cu over fresh K/V,
// attention_prefill_cached.cu over slot-listed cache rows): a CTA of 128 threads owns 64 query rows of one head and
// streams 32-key tiles through shared memory. Thread (ty, tx) = (tid / 8, tid % 8) owns query rows ty + 16i (i < 4),
// key columns tx + 8j (j < 4) of each tile and output dims tx + 8k (k < DMAX/8); all softmax math is fp32.
#pragma once
#include "dyc_common.cuh"

#define DYC_AT_ROWS 64     // query rows per CTA
#define DYC_AT_KEYS 32     // keys per shared-memory tile
#define DYC_AT_THREADS 128 // 16 row groups × 8 column lanes; a row group is 8 adjacent lanes of one warp
#define DYC_AT_PSTRIDE 40  // probability tile row stride: the 4 row groups of a warp land on distinct banks
#define DYC_AT_NEG_INF __int_as_float(0xff800000u)

// Offsets and slot lists live on the device (the host never reads them), so they are checked here; a bad list is a
// caller bug and trapping fails the launch loudly instead of touching another tensor's memory.
__device__ __forceinline__ void dyc_at_fail() { asm volatile("trap;"); }

// Maps a CTA's x index to (sequence, query tile within it), tiles numbered sequence by sequence. Every warp scans
// cuSeqLens 32 sequences at a time (tile counts, an inclusive warp scan, a ballot), so all warps agree without a
// barrier. False for the spare CTAs of the grid's upper bound ceil(T/64) + B.
__device__ __forceinline__ bool dyc_at_find_tile(const i32* __restrict__ cuSeqLens, int numSeqs, int totalTokens,
                                                 int tileIndex, int* seq, int* tileInSeq)
{
    const int lane = threadIdx.x & 31;
    int before = 0; // tiles of the sequences already scanned
    for (int b0 = 0; b0 < numSeqs; b0 += 32)
    {
        const int b = b0 + lane;
        int tiles = 0;
        if (b < numSeqs)
        {
            int s = cuSeqLens[b], e = cuSeqLens[b + 1];
            if (s < 0 || e < s || e > totalTokens) dyc_at_fail();
            tiles = (e - s + DYC_AT_ROWS - 1) / DYC_AT_ROWS;
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

// Copies `rows` rows of one head into a shared fp32 tile (times `factor`), zero-filling rows ≥ valid so masked
// positions never multiply stale, possibly non-finite, shared memory. Row r comes from src + r·rowPitch, or from
// src + slots[r]·rowPitch when a slot list is given (checked against numSlots). Warps take rows, lanes take dims.
template <typename TAG>
__device__ __forceinline__ void dyc_at_stage(const typename TAG::T* __restrict__ src, i64 rowPitch,
                                             const i32* __restrict__ slots, int numSlots, int rows, int valid,
                                             int D, float factor, float* tile, int tileStride)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int r = warp; r < rows; r += DYC_AT_THREADS / 32)
    {
        float* dst = tile + r * tileStride;
        if (r < valid)
        {
            i64 row = r;
            if (slots != 0)
            {
                const int slot = slots[r];
                if (slot < 0 || slot >= numSlots) dyc_at_fail();
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

// The running state of the thread's four query rows: output accumulators, row maxima and row sums.
template <int DMAX>
struct dyc_at_rows
{
    float o[4][DMAX / 8];
    float m[4], l[4];

    __device__ __forceinline__ void init()
    {
#pragma unroll
        for (int i = 0; i < 4; ++i)
        {
            m[i] = DYC_AT_NEG_INF;
            l[i] = 0.0f;
#pragma unroll
            for (int c = 0; c < DMAX / 8; ++c) o[i][c] = 0.0f;
        }
    }
};

// One staged key tile (n ≤ 32 keys at positions k0..k0 + n − 1): scores against the pre-scaled queries, the keys a
// row may not see masked (key position > lastKey0 + row, where lastKey0 is the last position row 0 may attend to),
// the online-softmax update and P·V. qTile, kTile [rows, qkStride], vTile [32, D], pTile [64, DYC_AT_PSTRIDE].
// The caller barriers before it stages the next tile: every thread reads pTile and vTile here.
template <int DMAX>
__device__ __forceinline__ void dyc_at_tile(const float* qTile, const float* kTile, const float* vTile, float* pTile,
                                            int qkStride, int D, int n, int k0, int lastKey0, dyc_at_rows<DMAX>& r)
{
    const int tid = threadIdx.x, tx = tid & 7, ty = tid >> 3;
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

    // Online softmax per row: the row's 32 scores are spread over the 8 lanes of its row group.
#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        const int row = ty + 16 * i, lastKey = lastKey0 + row;
        float rowMax = DYC_AT_NEG_INF;
#pragma unroll
        for (int j = 0; j < 4; ++j)
        {
            const int col = tx + 8 * j;
            if (col >= n || k0 + col > lastKey) s[i][j] = DYC_AT_NEG_INF;
            rowMax = fmaxf(rowMax, s[i][j]);
        }
        for (int offset = 1; offset < 8; offset <<= 1) rowMax = fmaxf(rowMax, __shfl_xor_sync(0xffffffffu, rowMax, offset));
        const float mNew = fmaxf(r.m[i], rowMax);
        // A row with nothing unmasked yet keeps m = −∞; shifting by 0 then gives p = 0 instead of NaN.
        const float shift = mNew == DYC_AT_NEG_INF ? 0.0f : mNew;
        const float corr = expf(r.m[i] - shift);
        float rowSum = 0.0f;
#pragma unroll
        for (int j = 0; j < 4; ++j)
        {
            const float p = expf(s[i][j] - shift);
            pTile[row * DYC_AT_PSTRIDE + tx + 8 * j] = p;
            rowSum += p;
        }
        for (int offset = 1; offset < 8; offset <<= 1) rowSum += __shfl_xor_sync(0xffffffffu, rowSum, offset);
        r.l[i] = r.l[i] * corr + rowSum;
        r.m[i] = mNew;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c) r.o[i][c] *= corr;
    }
    __syncthreads(); // pTile is complete

    for (int key = 0; key < n; ++key)
    {
        float p[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) p[i] = pTile[(ty + 16 * i) * DYC_AT_PSTRIDE + key];
        const float* vRow = vTile + key * D;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c)
        {
            const int d = tx + 8 * c;
            if (d < D)
            {
                const float vd = vRow[d];
#pragma unroll
                for (int i = 0; i < 4; ++i) r.o[i][c] = fmaf(p[i], vd, r.o[i][c]);
            }
        }
    }
}

// Writes the thread's rows that exist (row < valid) as out[row·rowPitch + d] = o / l. Every real row has seen at
// least one unmasked key, so l ≥ 1.
template <typename TAG, int DMAX>
__device__ __forceinline__ void dyc_at_store(const dyc_at_rows<DMAX>& r, typename TAG::T* __restrict__ out, i64 rowPitch,
                                             int valid, int D)
{
    const int tid = threadIdx.x, tx = tid & 7, ty = tid >> 3;
#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        const int row = ty + 16 * i;
        if (row >= valid) continue;
        const float inv = 1.0f / r.l[i];
        typename TAG::T* dst = out + row * rowPitch;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c)
        {
            const int d = tx + 8 * c;
            if (d < D) dst[d] = TAG::store(r.o[i][c] * inv);
        }
    }
}
