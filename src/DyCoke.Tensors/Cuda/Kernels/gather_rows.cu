// Row gather by an I32 index list (CudaBackend.GatherRows): rows are copied as raw words of any dtype. The host picks
// the widest word (16, 8, 4, 2 or 1 bytes) that divides the row size and both base addresses, so every access is aligned.
#include "dyc_common.cuh"

// One block per output row: dst[blockIdx.x, :] = src[indices[blockIdx.x], :]; the caller guarantees 0 <= index < R.
template <class W>
__device__ __forceinline__ void dyc_gather_row(const W* __restrict__ src,     /* [R, row_words] */
                                               const i32* __restrict__ indices, /* [n] */
                                               W* __restrict__ dst,           /* [n, row_words] */
                                               i64 row_words)
{
    const W* from = src + (i64)indices[blockIdx.x] * row_words;
    W* to = dst + (i64)blockIdx.x * row_words;
    for (i64 w = threadIdx.x; w < row_words; w += blockDim.x) to[w] = from[w];
}

extern "C" __global__ void dyc_gather_rows_u8(const unsigned char* src, const i32* indices, unsigned char* dst, i64 row_words)
{
    dyc_gather_row(src, indices, dst, row_words);
}

extern "C" __global__ void dyc_gather_rows_u16(const unsigned short* src, const i32* indices, unsigned short* dst, i64 row_words)
{
    dyc_gather_row(src, indices, dst, row_words);
}

extern "C" __global__ void dyc_gather_rows_u32(const unsigned int* src, const i32* indices, unsigned int* dst, i64 row_words)
{
    dyc_gather_row(src, indices, dst, row_words);
}

extern "C" __global__ void dyc_gather_rows_u64(const u64* src, const i32* indices, u64* dst, i64 row_words)
{
    dyc_gather_row(src, indices, dst, row_words);
}

extern "C" __global__ void dyc_gather_rows_u128(const uint4* src, const i32* indices, uint4* dst, i64 row_words)
{
    dyc_gather_row(src, indices, dst, row_words);
}
