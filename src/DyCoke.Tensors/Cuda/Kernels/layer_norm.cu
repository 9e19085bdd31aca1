// LayerNorm over rows [R, C] (CudaBackend.LayerNorm): one block per row, fp32 statistics in two passes (mean, then the
// biased variance around it, so rows with a large offset keep their precision). Weight and bias share x's dtype.
#include "dyc_common.cuh"

// x and y may be the same buffer (each element is read and then written by one thread, after both reductions),
// so neither is __restrict__.
#define DYC_LAYER_NORM(SUFFIX, TAG)                                                                                \
extern "C" __global__ void dyc_layer_norm_##SUFFIX(const TAG::T* x,                   /* [R, C] */                \
                                                   const TAG::T* __restrict__ weight, /* [C] */                   \
                                                   const TAG::T* __restrict__ bias,   /* [C] */                   \
                                                   TAG::T* y,                         /* [R, C] */                \
                                                   int cols, float eps)                                           \
{                                                                                                                 \
    __shared__ float scratch[32];                                                                                 \
    const TAG::T* row = x + (i64)blockIdx.x * cols;                                                               \
    TAG::T* out = y + (i64)blockIdx.x * cols;                                                                     \
    float sum = 0.0f;                                                                                             \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) sum += TAG::load(row[i]);                               \
    float mean = dyc_block_sum(sum, scratch) / (float)cols;                                                       \
    float squares = 0.0f;                                                                                         \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) { float d = TAG::load(row[i]) - mean; squares += d * d; } \
    float inv = 1.0f / sqrtf(dyc_block_sum(squares, scratch) / (float)cols + eps);                               \
    for (int i = threadIdx.x; i < cols; i += blockDim.x)                                                         \
        out[i] = TAG::store((TAG::load(row[i]) - mean) * inv * TAG::load(weight[i]) + TAG::load(bias[i]));        \
}

DYC_FOR_FLOAT_TYPES(DYC_LAYER_NORM)
