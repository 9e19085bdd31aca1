// The gated activation of the Qwen2 MLP (CudaBackend.SiluMul): y[r, i] = silu(g)·u with g = gateUp[r, i] and
// u = gateUp[r, I + i]. Grid-stride over the R·I outputs; fp32 math in the CPU backend's order, sigmoid(g)·g·u.
#include "dyc_common.cuh"

#define DYC_SILU_MUL(SUFFIX, TAG)                                                                                  \
extern "C" __global__ void dyc_silu_mul_##SUFFIX(const TAG::T* __restrict__ gate_up, /* [R, 2I] */               \
                                                 TAG::T* __restrict__ y,             /* [R, I] */                \
                                                 i64 n, int inter)                   /* n = R * I */             \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
    {                                                                                                             \
        i64 r = i / inter;                                                                                        \
        const TAG::T* row = gate_up + 2 * r * inter;                                                              \
        int c = (int)(i - r * inter);                                                                             \
        float g = TAG::load(row[c]);                                                                              \
        float u = TAG::load(row[inter + c]);                                                                      \
        float sigmoid = 1.0f / (1.0f + expf(-g));                                                                 \
        y[i] = TAG::store(sigmoid * g * u);                                                                       \
    }                                                                                                             \
}

DYC_FOR_FLOAT_TYPES(DYC_SILU_MUL)
