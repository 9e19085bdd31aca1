// Elementwise dtype conversion (CudaBackend.Convert): any float or integer source to F32/F16/BF16 through an exact fp32
// widening and one rounding, and F32 to I32/I64 with .NET cast semantics. Grid-stride loops over the flat elements.
#include "dyc_common.cuh"

// dst[i] = src[i] for a source whose dtype is the runtime code src_kind (DYC_KIND_*). Float sources widen exactly,
// so F16 <-> BF16 rounds once; the host allows integer sources only with an F32 destination (one rounding, too).
#define DYC_CONVERT(SUFFIX, TAG)                                                                                   \
extern "C" __global__ void dyc_convert_to_##SUFFIX(const void* __restrict__ src, /* [n] of src_kind */            \
                                                   int src_kind,                                                  \
                                                   TAG::T* __restrict__ dst,      /* [n] */                       \
                                                   i64 n)                                                         \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
        dst[i] = TAG::store(dyc_load_kind(src, i, src_kind));                                                     \
}

DYC_FOR_FLOAT_TYPES(DYC_CONVERT)

// Truncation toward zero that saturates at the integer range and maps NaN to 0, like a C# (int)/(long) cast.
// Spelled out rather than left to cvt's out-of-range behaviour, so the result never depends on the target.
extern "C" __global__ void dyc_convert_f32_to_i32(const float* __restrict__ src, /* [n] */
                                                  i32* __restrict__ dst,         /* [n] */
                                                  i64 n)
{
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        float v = src[i];
        dst[i] = v != v ? 0
            : v >= 2147483648.0f ? 2147483647
            : v <= -2147483648.0f ? (-2147483647 - 1)
            : (i32)v;
    }
}

extern "C" __global__ void dyc_convert_f32_to_i64(const float* __restrict__ src, /* [n] */
                                                  i64* __restrict__ dst,         /* [n] */
                                                  i64 n)
{
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
    {
        float v = src[i];
        dst[i] = v != v ? 0LL
            : v >= 9223372036854775808.0f ? 9223372036854775807LL
            : v <= -9223372036854775808.0f ? (-9223372036854775807LL - 1)
            : (i64)v;
    }
}
