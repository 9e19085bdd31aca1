// Variable-length prefill attention (causal or full, GQA) over fresh q/k/v, flash-attention style: a CTA owns 64
// query rows of one head, streams 32-key K/V tiles through shared memory and keeps an online softmax in fp32.
// Scalar FMA math over F32/F16/BF16 storage, D ≤ 128 (any D: 64 and 128 are compile-time bounds, not requirements).
#include "dyc_attention_tiles.cuh"

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
    float* kTile = qTile + DYC_AT_ROWS * qkStride;     // [32, D + 1]
    float* vTile = kTile + DYC_AT_KEYS * qkStride;     // [32, D]
    float* pTile = vTile + DYC_AT_KEYS * D;            // [64, 40], this tile's probabilities

    int seq, tile;
    if (!dyc_at_find_tile(cuSeqLens, numSeqs, totalTokens, blockIdx.x, &seq, &tile)) return;
    const int seqStart = cuSeqLens[seq], len = cuSeqLens[seq + 1] - seqStart;
    const int q0 = tile * DYC_AT_ROWS; // first query row of the tile, counted within the sequence
    const int h = blockIdx.y, kvHead = h / (H / Hkv);
    const i64 kvPitch = (i64)Hkv * D;

    dyc_at_stage<TAG>(q + ((i64)(seqStart + q0) * H + h) * D, (i64)H * D, 0, 0, DYC_AT_ROWS, min(DYC_AT_ROWS, len - q0), D,
                      scale, qTile, qkStride);

    dyc_at_rows<DMAX> rows;
    rows.init();
    // Causal: row r sees keys up to q0 + r, and key tiles past the tile's last query row are skipped. Full: every key
    // (a last key beyond any position that stays an int after adding 63 rows).
    const int keyEnd = causal ? min(len, q0 + DYC_AT_ROWS) : len;
    const int lastKey0 = causal ? q0 : 0x7fffffff - DYC_AT_ROWS;
    for (int k0 = 0; k0 < keyEnd; k0 += DYC_AT_KEYS)
    {
        const int n = min(DYC_AT_KEYS, keyEnd - k0);
        __syncthreads(); // the previous tiles are consumed (first time: the queries are staged)
        const i64 kvOffset = ((i64)(seqStart + k0) * Hkv + kvHead) * D;
        dyc_at_stage<TAG>(k + kvOffset, kvPitch, 0, 0, DYC_AT_KEYS, n, D, 1.0f, kTile, qkStride);
        dyc_at_stage<TAG>(v + kvOffset, kvPitch, 0, 0, DYC_AT_KEYS, n, D, 1.0f, vTile, D);
        __syncthreads();
        dyc_at_tile<DMAX>(qTile, kTile, vTile, pTile, qkStride, D, n, k0, lastKey0, rows);
    }

    dyc_at_store<TAG, DMAX>(rows, out + ((i64)(seqStart + q0) * H + h) * D, (i64)H * D, len - q0, D);
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
