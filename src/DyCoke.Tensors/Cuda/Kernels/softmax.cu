// Max-shifted softmax over rows [R, N] (CudaBackend.Softmax): one block per row, fp32, three passes over the row
// (max, sum of exponentials, normalized output), so any N works without holding the row in registers.
#include "dyc_common.cuh"

// Unlike fmaxf, NaN wins: a row holding NaN becomes all NaN, as on the CPU backend (and PyTorch).
__device__ __forceinline__ float dyc_max_propagating_nan(float a, float b) { return (a != a || a > b) ? a : b; }

// Block-wide NaN-propagating max (blockDim.x a multiple of 32); every thread gets the result.
__device__ __forceinline__ float dyc_block_max_nan(float v, float* scratch /* [32] shared */)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v = dyc_max_propagating_nan(v, __shfl_xor_sync(0xffffffffu, v, offset));
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < (int)(blockDim.x >> 5) ? scratch[lane] : __int_as_float(0xff800000); // -Inf
    for (int offset = 16; offset > 0; offset >>= 1) v = dyc_max_propagating_nan(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// y may be the same buffer as x (each element is read and then written by one thread, after both reductions).
#define DYC_SOFTMAX(SUFFIX, TAG)                                                                                   \
extern "C" __global__ void dyc_softmax_##SUFFIX(const TAG::T* x, /* [R, N] */                                     \
                                                TAG::T* y,       /* [R, N] */                                     \
                                                int cols)                                                         \
{                                                                                                                 \
    __shared__ float scratch[32];                                                                                 \
    const TAG::T* row = x + (i64)blockIdx.x * cols;                                                               \
    TAG::T* out = y + (i64)blockIdx.x * cols;                                                                     \
    float max = __int_as_float(0xff800000);                                                                       \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) max = dyc_max_propagating_nan(max, TAG::load(row[i]));  \
    max = dyc_block_max_nan(max, scratch);                                                                        \
    float sum = 0.0f;                                                                                             \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) sum += expf(TAG::load(row[i]) - max);                   \
    sum = dyc_block_sum(sum, scratch);                                                                            \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) out[i] = TAG::store(expf(TAG::load(row[i]) - max) / sum); \
}

DYC_FOR_FLOAT_TYPES(DYC_SOFTMAX)
