// Elementwise add (CudaBackend.Add) and the bias add that follows a cuBLAS GEMM in Linear (CudaBackend.AddBias).
// Grid-stride loops over the flat elements; fp32 math, one rounding to the storage type.
#include "dyc_common.cuh"

// y may be the same buffer as a or b (each element is read and written by one thread), so nothing is __restrict__.
#define DYC_ADD(SUFFIX, TAG)                                                                                       \
extern "C" __global__ void dyc_add_##SUFFIX(const TAG::T* a, /* [n] */                                            \
                                            const TAG::T* b, /* [n] */                                            \
                                            TAG::T* y,       /* [n] */                                            \
                                            i64 n)                                                                \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
        y[i] = TAG::store(TAG::load(a[i]) + TAG::load(b[i]));                                                     \
}                                                                                                                 \
                                                                                                                  \
/* y[r, c] += bias[c], in place; the bias dtype is a runtime code so an F32 bias can follow a BF16 GEMM. */       \
extern "C" __global__ void dyc_add_bias_##SUFFIX(TAG::T* __restrict__ y,         /* [rows, cols] */              \
                                                 const void* __restrict__ bias,  /* [cols] of bias_kind */       \
                                                 int bias_kind, i64 n, int cols) /* n = rows * cols */           \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
        y[i] = TAG::store(TAG::load(y[i]) + dyc_load_kind(bias, i % cols, bias_kind));                            \
}

DYC_FOR_FLOAT_TYPES(DYC_ADD)
