// Token embedding lookup (CudaBackend.Embedding): y[t, :] = table[ids[t], :], one block per token. The table dtype is a
// runtime code, so a F32, F16 or BF16 table feeds activations of any float dtype with one rounding (none if equal).
#include "dyc_common.cuh"

// The caller guarantees 0 <= ids[t] < V: the ids live on the GPU, so the host cannot check them without a sync.
#define DYC_EMBEDDING(SUFFIX, TAG)                                                                                 \
extern "C" __global__ void dyc_embedding_##SUFFIX(const i32* __restrict__ ids,  /* [T] */                         \
                                                  const void* __restrict__ table, /* [V, C] of table_kind */      \
                                                  int table_kind,                                                 \
                                                  TAG::T* __restrict__ y,       /* [T, C] */                      \
                                                  int cols)                                                       \
{                                                                                                                 \
    i64 from = (i64)ids[blockIdx.x] * cols;                                                                       \
    TAG::T* out = y + (i64)blockIdx.x * cols;                                                                     \
    for (int c = threadIdx.x; c < cols; c += blockDim.x) out[c] = TAG::store(dyc_load_kind(table, from + c, table_kind)); \
}

DYC_FOR_FLOAT_TYPES(DYC_EMBEDDING)
