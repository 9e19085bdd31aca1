// GELU (CudaBackend.Gelu), exact erf form for the LLaVA projector and tanh form for SigLIP; grid-stride, fp32 math.
// Both are written so negative inputs do not cancel: erf form as x·½·erfc(−x/√2), tanh form as x·sigmoid(2u) (equal to
// ½x(1 + tanh u)), the same formulas as the CPU backend.
#include "dyc_common.cuh"

// y may be the same buffer as x, so neither is __restrict__.
#define DYC_GELU(SUFFIX, TAG)                                                                                      \
extern "C" __global__ void dyc_gelu_erf_##SUFFIX(const TAG::T* x, /* [n] */                                       \
                                                 TAG::T* y,       /* [n] */                                       \
                                                 i64 n)                                                           \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
    {                                                                                                             \
        float v = TAG::load(x[i]);                                                                                \
        y[i] = TAG::store(0.5f * v * erfcf(-v * 0.70710678118654752f));                                           \
    }                                                                                                             \
}                                                                                                                 \
                                                                                                                  \
/* u = sqrt(2/pi)·(v + 0.044715·v³); 2u = v·(2·sqrt(2/pi) + 2·sqrt(2/pi)·0.044715·v²). */                         \
extern "C" __global__ void dyc_gelu_tanh_##SUFFIX(const TAG::T* x, /* [n] */                                      \
                                                  TAG::T* y,       /* [n] */                                      \
                                                  i64 n)                                                          \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
    {                                                                                                             \
        float v = TAG::load(x[i]);                                                                                \
        float two_u = (v * v * 0.07135481627159723f + 1.5957691216057308f) * v;                                   \
        y[i] = TAG::store(v / (1.0f + expf(-two_u)));                                                             \
    }                                                                                                             \
}

DYC_FOR_FLOAT_TYPES(DYC_GELU)
