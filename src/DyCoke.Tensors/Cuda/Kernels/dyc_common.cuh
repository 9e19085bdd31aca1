// Shared device helpers for every DyCoke kernel: storage types, fp16/bf16 <-> fp32 conversion and warp/block
// reductions. Deliberately includes nothing: cuda_fp16.h/cuda_bf16.h ship only with a toolkit, and NVRTC must
// compile these sources on a GPU host with just the runtime libraries (and in CI with no GPU at all).
#pragma once

typedef unsigned short f16;   // IEEE binary16 bits
typedef unsigned short bf16;  // top 16 bits of an IEEE binary32
typedef int i32;
typedef long long i64;
typedef unsigned long long u64;

__device__ __forceinline__ float dyc_to_float(float x) { return x; }

__device__ __forceinline__ float dyc_f16_to_float(f16 h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ f16 dyc_float_to_f16(float f)
{
    f16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ float dyc_bf16_to_float(bf16 b) { return __uint_as_float(((unsigned int)b) << 16); }

// Round-to-nearest-even in integer arithmetic (works on every architecture; sm_80+ could use cvt.rn.bf16.f32).
// NaN keeps a quiet-NaN payload so truncation can never turn it into infinity.
__device__ __forceinline__ bf16 dyc_float_to_bf16(float f)
{
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16)(u >> 16);
}

// Typed load/store: kernels are written once over a storage type T and instantiated for float, f16 and bf16 by the
// DYC_FOR_FLOAT_TYPES macro. f16 and bf16 share the C++ type unsigned short, so they are told apart by a tag.
struct dyc_f32 { typedef float T; __device__ static float load(float x) { return x; } __device__ static float store(float x) { return x; } };
struct dyc_h16 { typedef f16 T; __device__ static float load(f16 x) { return dyc_f16_to_float(x); } __device__ static f16 store(float x) { return dyc_float_to_f16(x); } };
struct dyc_b16 { typedef bf16 T; __device__ static float load(bf16 x) { return dyc_bf16_to_float(x); } __device__ static bf16 store(float x) { return dyc_float_to_bf16(x); } };

// Instantiates MACRO(suffix, tag) once per float storage type: kernels end up named dyc_<op>_f32/_f16/_bf16.
#define DYC_FOR_FLOAT_TYPES(MACRO) MACRO(f32, dyc_f32) MACRO(f16, dyc_h16) MACRO(bf16, dyc_b16)

__device__ __forceinline__ float dyc_warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float dyc_warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `scratch` must hold 32 floats of shared memory.
__device__ __forceinline__ float dyc_block_sum(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = dyc_warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = lane < warps ? scratch[lane] : 0.0f;
    return dyc_warp_sum(v);
}

__device__ __forceinline__ float dyc_block_max(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = dyc_warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = lane < warps ? scratch[lane] : -3.402823466e38f;
    return dyc_warp_max(v);
}

// Runtime-typed element load, for ops whose source dtype is a kernel argument rather than part of the kernel name
// (Convert, Embedding, AddBias). The codes are the byte values of the C# DType enum.
#define DYC_KIND_F32 0
#define DYC_KIND_F16 1
#define DYC_KIND_BF16 2
#define DYC_KIND_I32 3
#define DYC_KIND_I64 4

// Integers convert with round-to-nearest-even (cvt.rn), as C# does; the kind is uniform across a launch, so the
// switch never diverges.
__device__ __forceinline__ float dyc_load_kind(const void* p, i64 i, int kind)
{
    switch (kind)
    {
        case DYC_KIND_F16: return dyc_f16_to_float(((const f16*)p)[i]);
        case DYC_KIND_BF16: return dyc_bf16_to_float(((const bf16*)p)[i]);
        case DYC_KIND_I32: return (float)((const i32*)p)[i];
        case DYC_KIND_I64: return (float)((const i64*)p)[i];
        default: return ((const float*)p)[i];
    }
}

// A key that grows as the value shrinks, for "largest first, then lowest index" orders (TopK, ArgMax):
// NaN -> 0 (ranks above +Inf, as torch.topk/argmax), +Inf next, ..., -Inf last; -0 and +0 map alike.
// (rank << 32 | index) then orders (value descending, index ascending) as plain unsigned integers.
__device__ __forceinline__ unsigned int dyc_descending_rank(float v)
{
    if (v != v) return 0u;
    unsigned int bits = v == 0.0f ? 0u : __float_as_uint(v);
    unsigned int ascending = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return ~ascending;
}

__device__ __forceinline__ u64 dyc_descending_key(float v, int index)
{
    return ((u64)dyc_descending_rank(v) << 32) | (unsigned int)index;
}
