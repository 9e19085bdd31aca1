// NeoX rotary embedding of q and k at explicit positions, then the KV-cache write (CudaBackend.RopeAndStoreKv): one
// block per token. The token's cos/sin table is built once in shared memory; q, k are rotated in place; the rotated k
// (as stored, after rounding) and v go to cache slot slots[t] unless it is negative.
#include "dyc_common.cuh"

#define DYC_ROPE_MAX_HALF 256 // D <= 512

// inv_freq_i = 1 / θ^(2i/D) the way HF's Qwen2 computes it in fp32: the exponent is an fp32 quotient, the power is
// rounded to fp32 (evaluated in double, so correctly rounded in practice), then an fp32 reciprocal.
__device__ __forceinline__ float dyc_rope_inv_freq(float theta, int i, int head_dim)
{
    float exponent = (float)(2 * i) / (float)head_dim;
    return 1.0f / (float)pow((double)theta, (double)exponent);
}

// Rotates the pairs (i, i + D/2) of `heads` rows [heads, D] at `x`; when `copy` is not null the rotated values are
// also written there (the cache row of a key).
template <class TAG>
__device__ __forceinline__ void dyc_rope_rotate(typename TAG::T* x, typename TAG::T* copy, int heads, int head_dim,
                                                const float* cos_table, const float* sin_table)
{
    int half = head_dim >> 1;
    for (int p = threadIdx.x; p < heads * half; p += blockDim.x)
    {
        int h = p / half, i = p - h * half;
        int lo = h * head_dim + i, hi = lo + half;
        float x1 = TAG::load(x[lo]), x2 = TAG::load(x[hi]);
        float c = cos_table[i], s = sin_table[i];
        typename TAG::T r1 = TAG::store(x1 * c - x2 * s);
        typename TAG::T r2 = TAG::store(x2 * c + x1 * s);
        x[lo] = r1;
        x[hi] = r2;
        if (copy != nullptr)
        {
            copy[lo] = r1;
            copy[hi] = r2;
        }
    }
}

#define DYC_ROPE_AND_STORE_KV(SUFFIX, TAG)                                                                         \
extern "C" __global__ void dyc_rope_and_store_kv_##SUFFIX(TAG::T* q,                     /* [T, H, D] */          \
                                                          TAG::T* k,                     /* [T, Hkv, D] */        \
                                                          const TAG::T* __restrict__ v,  /* [T, Hkv, D] */        \
                                                          const i32* __restrict__ positions, /* [T] */            \
                                                          const i32* __restrict__ slots,     /* [T] */            \
                                                          TAG::T* k_cache,               /* [S, Hkv, D] */        \
                                                          TAG::T* v_cache,               /* [S, Hkv, D] */        \
                                                          int heads, int kv_heads, int head_dim, float theta)     \
{                                                                                                                 \
    __shared__ float cos_table[DYC_ROPE_MAX_HALF];                                                                \
    __shared__ float sin_table[DYC_ROPE_MAX_HALF];                                                                \
    int t = blockIdx.x;                                                                                           \
    float position = (float)positions[t];                                                                         \
    for (int i = threadIdx.x; i < (head_dim >> 1); i += blockDim.x)                                              \
    {                                                                                                             \
        float angle = position * dyc_rope_inv_freq(theta, i, head_dim);                                           \
        sin_table[i] = sinf(angle);                                                                               \
        cos_table[i] = cosf(angle);                                                                               \
    }                                                                                                             \
    __syncthreads();                                                                                              \
    i64 kv_row = (i64)kv_heads * head_dim;                                                                        \
    int slot = slots[t];                                                                                          \
    dyc_rope_rotate<TAG>(q + (i64)t * heads * head_dim, nullptr, heads, head_dim, cos_table, sin_table);         \
    dyc_rope_rotate<TAG>(k + t * kv_row, slot >= 0 ? k_cache + slot * kv_row : nullptr, kv_heads, head_dim,      \
                         cos_table, sin_table);                                                                   \
    if (slot >= 0)                                                                                                \
    {                                                                                                             \
        const TAG::T* from = v + t * kv_row;                                                                      \
        TAG::T* to = v_cache + slot * kv_row;                                                                     \
        for (int e = threadIdx.x; e < kv_row; e += blockDim.x) to[e] = from[e];                                   \
    }                                                                                                             \
}

DYC_FOR_FLOAT_TYPES(DYC_ROPE_AND_STORE_KV)
