// RMSNorm and fused residual-add + RMSNorm over rows [R, C]: one block per row, fp32 sum of squares, weight of any
// float storage type. Mirrors CpuBackend.RmsNorm/AddRmsNorm (y = x / sqrt(mean(x²) + eps) · w).
#include "dyc_common.cuh"

#define DYC_RMS_NORM(SUFFIX, TAG)                                                                                  \
extern "C" __global__ void dyc_rms_norm_##SUFFIX(const TAG::T* __restrict__ x,      /* [R, C] */                  \
                                                 const TAG::T* __restrict__ weight, /* [C] */                     \
                                                 TAG::T* __restrict__ y,            /* [R, C] */                  \
                                                 int cols, float eps)                                             \
{                                                                                                                 \
    __shared__ float scratch[32];                                                                                 \
    const TAG::T* row = x + (i64)blockIdx.x * cols;                                                               \
    TAG::T* out = y + (i64)blockIdx.x * cols;                                                                     \
    float sum = 0.0f;                                                                                             \
    for (int i = threadIdx.x; i < cols; i += blockDim.x) { float v = TAG::load(row[i]); sum += v * v; }         \
    float inv = rsqrtf(dyc_block_sum(sum, scratch) / cols + eps);                                                \
    for (int i = threadIdx.x; i < cols; i += blockDim.x)                                                         \
        out[i] = TAG::store(TAG::load(row[i]) * inv * TAG::load(weight[i]));                                     \
}                                                                                                                 \
                                                                                                                  \
/* residual <- residual + x; y <- RmsNorm(residual). The sum is rounded to the storage type before the norm, as  \
   an unfused add followed by a norm would. */                                                                    \
extern "C" __global__ void dyc_add_rms_norm_##SUFFIX(const TAG::T* __restrict__ x,   /* [R, C] */              \
                                                     TAG::T* __restrict__ residual,  /* [R, C] */              \
                                                     const TAG::T* __restrict__ weight, /* [C] */              \
                                                     TAG::T* __restrict__ y,         /* [R, C] */              \
                                                     int cols, float eps)                                         \
{                                                                                                                 \
    __shared__ float scratch[32];                                                                                 \
    const TAG::T* in = x + (i64)blockIdx.x * cols;                                                                \
    TAG::T* res = residual + (i64)blockIdx.x * cols;                                                              \
    TAG::T* out = y + (i64)blockIdx.x * cols;                                                                     \
    float sum = 0.0f;                                                                                             \
    for (int i = threadIdx.x; i < cols; i += blockDim.x)                                                         \
    {                                                                                                             \
        TAG::T s = TAG::store(TAG::load(in[i]) + TAG::load(res[i]));                                             \
        res[i] = s;                                                                                               \
        float v = TAG::load(s);                                                                                   \
        sum += v * v;                                                                                             \
    }                                                                                                             \
    float inv = rsqrtf(dyc_block_sum(sum, scratch) / cols + eps);                                                \
    for (int i = threadIdx.x; i < cols; i += blockDim.x)                                                         \
        out[i] = TAG::store(TAG::load(res[i]) * inv * TAG::load(weight[i]));                                     \
}

DYC_FOR_FLOAT_TYPES(DYC_RMS_NORM)
