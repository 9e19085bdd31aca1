// Per-row argmax (CudaBackend.ArgMax), first index on ties, NaN above everything (as torch.argmax): one block per row.
// Each element becomes the key (descending rank << 32 | index), so the answer is the smallest key: a per-thread
// minimum over a strided slice, then a warp-shuffle minimum, then one across the warps.
#include "dyc_common.cuh"

__device__ __forceinline__ u64 dyc_min_u64(u64 a, u64 b) { return a < b ? a : b; }

__device__ __forceinline__ u64 dyc_warp_min_u64(u64 v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = dyc_min_u64(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

#define DYC_ARGMAX(SUFFIX, TAG)                                                                                    \
extern "C" __global__ void dyc_argmax_##SUFFIX(const TAG::T* __restrict__ x, /* [R, N] */                         \
                                               i32* __restrict__ indices,    /* [R] */                            \
                                               int cols)                                                          \
{                                                                                                                 \
    __shared__ u64 scratch[32];                                                                                   \
    const TAG::T* row = x + (i64)blockIdx.x * cols;                                                               \
    u64 best = ~0ull;                                                                                             \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) best = dyc_min_u64(best, dyc_descending_key(TAG::load(row[i]), i)); \
    best = dyc_warp_min_u64(best);                                                                                \
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;                                                         \
    if (lane == 0) scratch[warp] = best;                                                                          \
    __syncthreads();                                                                                              \
    if (warp == 0)                                                                                                \
    {                                                                                                             \
        best = dyc_warp_min_u64(lane < (int)(blockDim.x >> 5) ? scratch[lane] : ~0ull);                           \
        if (lane == 0) indices[blockIdx.x] = (i32)(unsigned int)best;                                             \
    }                                                                                                             \
}

DYC_FOR_FLOAT_TYPES(DYC_ARGMAX)
