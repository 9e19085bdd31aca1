// Variable-length prefill attention (causal or full, GQA) over fresh q/k/v, flash-attention style: a CTA owns 64
// query rows of one head, streams 32-key K/V tiles through shared memory and keeps an online softmax in fp32.
// Scalar FMA math over F32/F16/BF16 storage, D ≤ 128 (any D: 64 and 128 are compile-time bounds, not requirements).
#include "dyc_common.cuh"

#define DYC_PF_ROWS 64     // query rows per CTA
#define DYC_PF_KEYS 32     // keys per shared-memory tile
#define DYC_PF_THREADS 128 // 16 row groups × 8 column lanes; a row group is 8 adjacent lanes of one warp
#define DYC_PF_PSTRIDE 40  // probability tile row stride: the 4 row groups of a warp land on distinct banks
#define DYC_NEG_INF __int_as_float(0xff800000u)

// cuSeqLens lives on the device (the host never reads it), so it is checked here; a bad offset vector is a caller bug
// and trapping fails the launch loudly instead of touching another tensor's memory.
__device__ __forceinline__ void dyc_fail() { asm volatile("trap;"); }

// Maps a CTA's x index to (sequence, query tile within it), tiles numbered sequence by sequence. Every warp scans
// cuSeqLens 32 sequences at a time (tile counts, an inclusive warp scan, a ballot), so all warps agree without a
// barrier. False for the spare CTAs of the grid's upper bound ceil(T/64) + B.
__device__ __forceinline__ bool dyc_prefill_find_tile(const i32* __restrict__ cuSeqLens, int numSeqs, int totalTokens,
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
            if (s < 0 || e < s || e > totalTokens) dyc_fail();
            tiles = (e - s + DYC_PF_ROWS - 1) / DYC_PF_ROWS;
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

// Copies `rows` rows of one head into a shared tile as fp32 (times `factor`), zero-filling rows ≥ valid so masked
// positions never multiply stale, possibly non-finite, shared memory. Warps take rows, lanes take dims (coalesced).
template <typename TAG>
__device__ __forceinline__ void dyc_prefill_stage(const typename TAG::T* __restrict__ src, int rowPitch, int rows, int valid,
                                                  int D, float factor, float* tile, int tileStride)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int r = warp; r < rows; r += DYC_PF_THREADS / 32)
    {
        float* dst = tile + r * tileStride;
        if (r < valid)
        {
            const typename TAG::T* row = src + (i64)r * rowPitch;
            for (int d = lane; d < D; d += 32) dst[d] = TAG::load(row[d]) * factor;
        }
        else
        {
            for (int d = lane; d < D; d += 32) dst[d] = 0.0f;
        }
    }
}

// grid (ceil(T/64) + B, H), block 128, dynamic shared memory (4·(128·D + 2656) bytes):
//   q tile 64 × (D + 1), K tile 32 × (D + 1), V tile 32 × D, P tile 64 × 40 floats
//   = 42.4 KB at D = 64, 46.4 KB at D = 72, 74.4 KB at D = 128 (over 48 KB: the host raises the function's limit).
// Thread (ty, tx) = (tid / 8, tid % 8) owns query rows ty + 16i (i < 4), key columns tx + 8j (j < 4) of each tile and
// output dims tx + 8k (k < DMAX/8). Registers at DMAX = 128: 64 accumulators + 16 scores + row state, about 110.
template <typename TAG, int DMAX>
__device__ __forceinline__ void dyc_prefill(const typename TAG::T* __restrict__ q, const typename TAG::T* __restrict__ k,
                                            const typename TAG::T* __restrict__ v, const i32* __restrict__ cuSeqLens,
                                            typename TAG::T* __restrict__ out, int numSeqs, int totalTokens, int H, int Hkv,
                                            int D, int causal, float scale)
{
    extern __shared__ float smem[];
    const int qkStride = D + 1; // odd for even D: the rows a warp reads at one column sit on distinct banks
    float* qTile = smem;                               // [64, D + 1], pre-scaled queries
    float* kTile = qTile + DYC_PF_ROWS * qkStride;     // [32, D + 1]
    float* vTile = kTile + DYC_PF_KEYS * qkStride;     // [32, D]
    float* pTile = vTile + DYC_PF_KEYS * D;            // [64, 40], this tile's probabilities

    int seq, tile;
    if (!dyc_prefill_find_tile(cuSeqLens, numSeqs, totalTokens, blockIdx.x, &seq, &tile)) return;
    const int seqStart = cuSeqLens[seq], len = cuSeqLens[seq + 1] - seqStart;
    const int q0 = tile * DYC_PF_ROWS; // first query row of the tile, counted within the sequence
    const int h = blockIdx.y, kvHead = h / (H / Hkv);
    const int tid = threadIdx.x, tx = tid & 7, ty = tid >> 3;

    dyc_prefill_stage<TAG>(q + ((i64)(seqStart + q0) * H + h) * D, H * D, DYC_PF_ROWS, min(DYC_PF_ROWS, len - q0), D,
                           scale, qTile, qkStride);

    float o[4][DMAX / 8];
    float m[4], l[4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
    {
        m[i] = DYC_NEG_INF;
        l[i] = 0.0f;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c) o[i][c] = 0.0f;
    }

    // Causal: key tiles past the tile's last query row are fully masked and skipped.
    const int keyEnd = causal ? min(len, q0 + DYC_PF_ROWS) : len;
    for (int k0 = 0; k0 < keyEnd; k0 += DYC_PF_KEYS)
    {
        const int n = min(DYC_PF_KEYS, keyEnd - k0);
        __syncthreads(); // the previous tiles are consumed (first time: the queries are staged)
        const i64 kvOffset = ((i64)(seqStart + k0) * Hkv + kvHead) * D;
        dyc_prefill_stage<TAG>(k + kvOffset, Hkv * D, DYC_PF_KEYS, n, D, 1.0f, kTile, qkStride);
        dyc_prefill_stage<TAG>(v + kvOffset, Hkv * D, DYC_PF_KEYS, n, D, 1.0f, vTile, D);
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

        // Online softmax per row: the row's 32 scores are spread over the 8 lanes of its row group.
#pragma unroll
        for (int i = 0; i < 4; ++i)
        {
            const int row = ty + 16 * i, query = q0 + row;
            float rowMax = DYC_NEG_INF;
#pragma unroll
            for (int j = 0; j < 4; ++j)
            {
                const int col = tx + 8 * j;
                if (col >= n || (causal && k0 + col > query)) s[i][j] = DYC_NEG_INF;
                rowMax = fmaxf(rowMax, s[i][j]);
            }
            for (int offset = 1; offset < 8; offset <<= 1) rowMax = fmaxf(rowMax, __shfl_xor_sync(0xffffffffu, rowMax, offset));
            const float mNew = fmaxf(m[i], rowMax);
            // A row with nothing unmasked yet keeps m = −∞; shifting by 0 then gives p = 0 instead of NaN.
            const float shift = mNew == DYC_NEG_INF ? 0.0f : mNew;
            const float corr = expf(m[i] - shift);
            float rowSum = 0.0f;
#pragma unroll
            for (int j = 0; j < 4; ++j)
            {
                const float p = expf(s[i][j] - shift);
                pTile[row * DYC_PF_PSTRIDE + tx + 8 * j] = p;
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
            for (int i = 0; i < 4; ++i) p[i] = pTile[(ty + 16 * i) * DYC_PF_PSTRIDE + key];
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
        const float inv = 1.0f / l[i]; // l ≥ 1: every real row sees at least key 0
        typename TAG::T* dst = out + ((i64)(seqStart + q0 + row) * H + h) * D;
#pragma unroll
        for (int c = 0; c < DMAX / 8; ++c)
        {
            const int d = tx + 8 * c;
            if (d < D) dst[d] = TAG::store(o[i][c] * inv);
        }
    }
}

// Entry points per (head-dim bound, storage type), written out: NVRTC 11.8 crashes compiling for sm_90 with -lineinfo
// when a kernel inlines a function of the same file on the kernel's own source line, which a macro always does.
// d64 serves D ≤ 64, d128 serves 64 < D ≤ 128 (SigLIP's 72 included).

extern "C" __global__ void dyc_attention_prefill_d64_f32(const float* q, const float* k, const float* v, const i32* cuSeqLens,
    float* out, int numSeqs, int totalTokens, int H, int Hkv, int D, int causal, float scale)
{
    dyc_prefill<dyc_f32, 64>(q, k, v, cuSeqLens, out, numSeqs, totalTokens, H, Hkv, D, causal, scale);
}

extern "C" __global__ void dyc_attention_prefill_d64_f16(const f16* q, const f16* k, const f16* v, const i32* cuSeqLens,
    f16* out, int numSeqs, int totalTokens, int H, int Hkv, int D, int causal, float scale)
{
    dyc_prefill<dyc_h16, 64>(q, k, v, cuSeqLens, out, numSeqs, totalTokens, H, Hkv, D, causal, scale);
}

extern "C" __global__ void dyc_attention_prefill_d64_bf16(const bf16* q, const bf16* k, const bf16* v, const i32* cuSeqLens,
    bf16* out, int numSeqs, int totalTokens, int H, int Hkv, int D, int causal, float scale)
{
    dyc_prefill<dyc_b16, 64>(q, k, v, cuSeqLens, out, numSeqs, totalTokens, H, Hkv, D, causal, scale);
}

extern "C" __global__ void dyc_attention_prefill_d128_f32(const float* q, const float* k, const float* v, const i32* cuSeqLens,
    float* out, int numSeqs, int totalTokens, int H, int Hkv, int D, int causal, float scale)
{
    dyc_prefill<dyc_f32, 128>(q, k, v, cuSeqLens, out, numSeqs, totalTokens, H, Hkv, D, causal, scale);
}

extern "C" __global__ void dyc_attention_prefill_d128_f16(const f16* q, const f16* k, const f16* v, const i32* cuSeqLens,
    f16* out, int numSeqs, int totalTokens, int H, int Hkv, int D, int causal, float scale)
{
    dyc_prefill<dyc_h16, 128>(q, k, v, cuSeqLens, out, numSeqs, totalTokens, H, Hkv, D, causal, scale);
}

extern "C" __global__ void dyc_attention_prefill_d128_bf16(const bf16* q, const bf16* k, const bf16* v, const i32* cuSeqLens,
    bf16* out, int numSeqs, int totalTokens, int H, int Hkv, int D, int causal, float scale)
{
    dyc_prefill<dyc_b16, 128>(q, k, v, cuSeqLens, out, numSeqs, totalTokens, H, Hkv, D, causal, scale);
}
