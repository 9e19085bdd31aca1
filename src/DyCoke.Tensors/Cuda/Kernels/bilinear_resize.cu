// Channels-last bilinear resize, PyTorch interpolate(mode="bilinear", align_corners=False) (CudaBackend.BilinearResize):
// one thread per output element, grid-stride. Source taps per axis as PyTorch computes them in fp32:
// src = max(scale·(dst + 0.5) − 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, in − 1), λ = src − i0, scale = in / out.
#include "dyc_common.cuh"

// The product is rounded on its own (__fmul_rn) so the compiler cannot fuse it with the subtraction: an FMA would move
// the tap by an ulp away from the CPU backend and PyTorch.
__device__ __forceinline__ float dyc_resize_source(float scale, int dst)
{
    return fmaxf(__fmul_rn(scale, (float)dst + 0.5f) - 0.5f, 0.0f);
}

#define DYC_BILINEAR_RESIZE(SUFFIX, TAG)                                                                           \
extern "C" __global__ void dyc_bilinear_resize_##SUFFIX(const TAG::T* __restrict__ x, /* [N, Hin, Win, C] */      \
                                                        TAG::T* __restrict__ y,       /* [N, Hout, Wout, C] */    \
                                                        int h_in, int w_in, int h_out, int w_out, int channels,   \
                                                        float scale_h, float scale_w, i64 n) /* n = y's size */   \
{                                                                                                                 \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)            \
    {                                                                                                             \
        i64 pixel = i / channels;                                                                                 \
        int c = (int)(i - pixel * channels);                                                                      \
        int ow = (int)(pixel % w_out);                                                                            \
        i64 image_row = pixel / w_out;                                                                            \
        int oh = (int)(image_row % h_out);                                                                        \
        i64 image = image_row / h_out;                                                                            \
        float sh = dyc_resize_source(scale_h, oh), sw = dyc_resize_source(scale_w, ow);                           \
        int h0 = min((int)sh, h_in - 1), w0 = min((int)sw, w_in - 1);                                             \
        int h1 = min(h0 + 1, h_in - 1), w1 = min(w0 + 1, w_in - 1);                                               \
        float lh = sh - (float)h0, lw = sw - (float)w0;                                                           \
        const TAG::T* top = x + (image * h_in + h0) * w_in * channels + c;    /* [Win, C] at channel c */         \
        const TAG::T* bottom = x + (image * h_in + h1) * w_in * channels + c; /* [Win, C] at channel c */         \
        float p00 = TAG::load(top[(i64)w0 * channels]), p01 = TAG::load(top[(i64)w1 * channels]);                 \
        float p10 = TAG::load(bottom[(i64)w0 * channels]), p11 = TAG::load(bottom[(i64)w1 * channels]);           \
        y[i] = TAG::store((1.0f - lh) * (1.0f - lw) * p00 + (1.0f - lh) * lw * p01                               \
                          + lh * (1.0f - lw) * p10 + lh * lw * p11);                                              \
    }                                                                                                             \
}

DYC_FOR_FLOAT_TYPES(DYC_BILINEAR_RESIZE)
