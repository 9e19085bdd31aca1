// Row-wise cosine similarity (CudaBackend.RowCosine): out[r] = a[r]·b[r] / max(‖a[r]‖·‖b[r]‖, 1e-8), one block per row.
// The three sums are fp32 block reductions; the norm product and the quotient are formed in double, as on the CPU
// backend, because the product of two squared norms can overflow or underflow fp32.
#include "dyc_common.cuh"

#define DYC_ROW_COSINE(SUFFIX, TAG)                                                                                \
extern "C" __global__ void dyc_row_cosine_##SUFFIX(const TAG::T* __restrict__ a, /* [R, C] */                     \
                                                   const TAG::T* __restrict__ b, /* [R, C] */                     \
                                                   float* __restrict__ out,      /* [R] */                        \
                                                   int cols)                                                      \
{                                                                                                                 \
    __shared__ float scratch[32];                                                                                 \
    const TAG::T* ra = a + (i64)blockIdx.x * cols;                                                                \
    const TAG::T* rb = b + (i64)blockIdx.x * cols;                                                                \
    float dot = 0.0f, aa = 0.0f, bb = 0.0f;                                                                       \
    for (int i = threadIdx.x; i < cols; i += blockDim.x)                                                         \
    {                                                                                                             \
        float va = TAG::load(ra[i]), vb = TAG::load(rb[i]);                                                       \
        dot += va * vb;                                                                                           \
        aa += va * va;                                                                                            \
        bb += vb * vb;                                                                                            \
    }                                                                                                             \
    dot = dyc_block_sum(dot, scratch);                                                                            \
    aa = dyc_block_sum(aa, scratch);                                                                              \
    bb = dyc_block_sum(bb, scratch);                                                                              \
    if (threadIdx.x == 0)                                                                                         \
        out[blockIdx.x] = (float)((double)dot / fmax(sqrt((double)aa * (double)bb), 1e-8));                       \
}

DYC_FOR_FLOAT_TYPES(DYC_ROW_COSINE)
