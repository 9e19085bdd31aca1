// Per-row top-k (CudaBackend.TopK): the k largest values in descending order, equal values by ascending index, NaN
// first, as the CPU backend and torch.topk. One block per row, in three phases over ordering keys
// key = (descending rank << 32 | index), all distinct, ascending in the wanted output order:
//   1. radix select (4 passes of 8 bits over the row) finds the rank r* of the k-th key;
//   2. a compaction pass keeps every element ranked below r* and the lowest-indexed ones equal to r*, exactly k;
//   3. a bitonic sort orders those k: in shared memory when k <= 4096, else in place in the indices output.
#include "dyc_common.cuh"

#define DYC_TOPK_SHARED_KEYS 4096 // 32 KB of u64 keys: under the 48 KB of static shared memory every GPU grants

// Sorts positions [0, n) ascending through cmpx(i, j), which must leave the smaller element at i (i < j). The network
// is the bitonic sorter over the next power of two in its all-ascending form (each merge starts by comparing i with
// its mirror image), so the virtual padding acts as +Inf that no comparator moves and pairs reaching past n are
// skipped. Every thread of the block must call it.
template <class CompareExchange>
__device__ void dyc_bitonic_sort(int n, CompareExchange cmpx)
{
    int padded = 1;
    while (padded < n) padded <<= 1;
    for (int size = 2; size <= padded; size <<= 1)
    {
        int half = size >> 1;
        for (int t = threadIdx.x; t < padded / 2; t += blockDim.x)
        {
            int start = (t / half) * size, o = t % half;
            int j = start + size - 1 - o;
            if (j < n) cmpx(start + o, j);
        }
        __syncthreads();
        for (int stride = half >> 1; stride > 0; stride >>= 1)
        {
            for (int t = threadIdx.x; t < padded / 2; t += blockDim.x)
            {
                int i = (t / stride) * 2 * stride + t % stride;
                if (i + stride < n) cmpx(i, i + stride);
            }
            __syncthreads();
        }
    }
}

// Exclusive count of the threads before this one (in thread order) whose flag is set; *total gets the block's count.
// Every thread of the block must call it; blockDim.x must be a multiple of 32.
__device__ __forceinline__ int dyc_block_exclusive_count(bool flag, int* warp_counts /* [32] shared */, int* total)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    unsigned int ballot = __ballot_sync(0xffffffffu, flag);
    int before = __popc(ballot & ((1u << lane) - 1u));
    __syncthreads(); // the previous call's readers are done with warp_counts
    if (lane == 0) warp_counts[warp] = __popc(ballot);
    __syncthreads();
    int offset = 0, sum = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++)
    {
        int c = warp_counts[w];
        if (w < warp) offset += c;
        sum += c;
    }
    *total = sum;
    return offset + before;
}

template <class TAG>
__device__ void dyc_topk_row(const typename TAG::T* __restrict__ row, /* [N] */
                             float* values,                           /* [k] */
                             i32* indices,                            /* [k]; also the sort buffer when k > 4096 */
                             int n, int k)
{
    __shared__ u64 keys[DYC_TOPK_SHARED_KEYS];
    __shared__ unsigned int histogram[256];
    __shared__ int warp_counts[32];
    __shared__ unsigned int chosen_prefix;
    __shared__ int chosen_remaining;

    // Phase 1: after the pass at `shift`, the top (32 − shift) bits of r* are known (prefix) and `remaining` is the
    // 1-based position of the k-th key among the elements whose rank starts with that prefix.
    unsigned int prefix = 0, mask = 0;
    int remaining = k;
    for (int shift = 24; shift >= 0; shift -= 8)
    {
        for (int d = threadIdx.x; d < 256; d += blockDim.x) histogram[d] = 0;
        __syncthreads();
        for (int i = threadIdx.x; i < n; i += blockDim.x)
        {
            unsigned int r = dyc_descending_rank(TAG::load(row[i]));
            if ((r & mask) == prefix) atomicAdd(&histogram[(r >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (threadIdx.x == 0)
        {
            // The histogram counts every element matching the prefix, at least `remaining`, so d stops below 256.
            unsigned int d = 0;
            int rest = remaining;
            while (rest > (int)histogram[d])
            {
                rest -= (int)histogram[d];
                d++;
            }
            chosen_prefix = prefix | (d << shift);
            chosen_remaining = rest;
        }
        __syncthreads();
        prefix = chosen_prefix;
        remaining = chosen_remaining;
        mask |= 255u << shift;
    }
    unsigned int threshold = prefix;  // r*
    int take_equal = remaining;       // how many elements ranked r* are kept: the lowest-indexed ones
    int below = k - take_equal;       // elements ranked below r*, all kept

    // Phase 2: in tiles of blockDim.x elements, in index order, so "lowest-indexed" is a running count.
    bool in_shared = k <= DYC_TOPK_SHARED_KEYS;
    int below_seen = 0, equal_seen = 0;
    for (int base = 0; base < n; base += blockDim.x)
    {
        int i = base + threadIdx.x;
        unsigned int r = i < n ? dyc_descending_rank(TAG::load(row[i])) : 0u;
        bool is_below = i < n && r < threshold;
        bool is_equal = i < n && r == threshold;
        int below_total, equal_total;
        int below_at = dyc_block_exclusive_count(is_below, warp_counts, &below_total);
        int equal_at = dyc_block_exclusive_count(is_equal, warp_counts, &equal_total);
        int slot = -1;
        if (is_below) slot = below_seen + below_at;
        else if (is_equal && equal_seen + equal_at < take_equal) slot = below + equal_seen + equal_at;
        if (slot >= 0)
        {
            if (in_shared) keys[slot] = ((u64)r << 32) | (unsigned int)i;
            else indices[slot] = i;
        }
        below_seen += below_total;
        equal_seen += equal_total;
    }
    __syncthreads();

    // Phase 3.
    if (in_shared)
    {
        dyc_bitonic_sort(k, [&](int a, int b) {
            u64 ka = keys[a], kb = keys[b];
            if (ka > kb) { keys[a] = kb; keys[b] = ka; }
        });
        for (int j = threadIdx.x; j < k; j += blockDim.x)
        {
            int index = (int)(unsigned int)keys[j];
            indices[j] = index;
            values[j] = TAG::load(row[index]);
        }
    }
    else
    {
        // __syncthreads makes a block's global writes visible to the whole block, so the output can be the sort buffer.
        dyc_bitonic_sort(k, [&](int a, int b) {
            int ia = indices[a], ib = indices[b];
            if (dyc_descending_key(TAG::load(row[ia]), ia) > dyc_descending_key(TAG::load(row[ib]), ib))
            {
                indices[a] = ib;
                indices[b] = ia;
            }
        });
        for (int j = threadIdx.x; j < k; j += blockDim.x) values[j] = TAG::load(row[indices[j]]);
    }
}

// The wrappers are written out rather than generated by DYC_FOR_FLOAT_TYPES: NVRTC 11.8 (the CI compiler) crashes
// compiling this body for sm_90 with -lineinfo when the call sits on the single line a macro expands to.
extern "C" __global__ void dyc_topk_f32(const float* __restrict__ scores, /* [R, N] */
                                        float* values,                    /* [R, k] */
                                        i32* indices,                     /* [R, k] */
                                        int n, int k)
{
    i64 r = blockIdx.x;
    dyc_topk_row<dyc_f32>(scores + r * n, values + r * k, indices + r * k, n, k);
}

extern "C" __global__ void dyc_topk_f16(const f16* __restrict__ scores, float* values, i32* indices, int n, int k)
{
    i64 r = blockIdx.x;
    dyc_topk_row<dyc_h16>(scores + r * n, values + r * k, indices + r * k, n, k);
}

extern "C" __global__ void dyc_topk_bf16(const bf16* __restrict__ scores, float* values, i32* indices, int n, int k)
{
    i64 r = blockIdx.x;
    dyc_topk_row<dyc_b16>(scores + r * n, values + r * k, indices + r * k, n, k);
}
