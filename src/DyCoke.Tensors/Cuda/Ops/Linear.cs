// Linear on cuBLAS: y[M, N] = x[M, K] · W[N, K]ᵀ + b, in the "TN" form cuBLAS tunes best, with no weight transposes.
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

public sealed unsafe partial class CudaBackend
{
    /// <summary>
    /// Row-major y = x·Wᵀ is column-major yᵀ[N, M] = W[N, K]·xᵀ, i.e. GemmEx(OP_T, OP_N, m = N, n = M, k = K) with
    /// lda = ldb = K and ldc = N. fp32 compute; x, W and y may each be F32, F16 or BF16 (cuBLAS supports mixed A/B only
    /// in specific combinations, so W and x must share a dtype). Bias is added by a kernel afterwards.
    /// </summary>
    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        OnDevice(x, weight, bias, y);
        TensorCheck.Rank(weight, 2, nameof(weight));
        long n = weight.Shape[0], k = weight.Shape[1];
        TensorCheck.Dim(x, -1, k, nameof(x));
        long m = x.Shape.Rows;
        if (y.Shape.LastDim != n || y.Shape.Rows != m)
            throw new ArgumentException($"y has shape {y.Shape}, expected [{m}, {n}] for x {x.Shape} and weight {weight.Shape}", nameof(y));
        if (x.DType != weight.DType)
            throw new ArgumentException($"x ({x.DType}) and weight ({weight.DType}) must share a dtype on CUDA", nameof(x));
        if (bias is not null) TensorCheck.ShapeIs(bias, new Shape(n), nameof(bias));
        if (m == 0 || n == 0) return;
        Gpu.MakeCurrent();
        float alpha = 1f, beta = 0f;
        Cublas.Check(Cublas.GemmEx(_cublas, Cublas.OpT, Cublas.OpN, (int)n, (int)m, (int)k, &alpha,
                (ulong)weight.Pointer, Cublas.DataType(weight.DType), (int)k,
                (ulong)x.Pointer, Cublas.DataType(x.DType), (int)k, &beta,
                (ulong)y.Pointer, Cublas.DataType(y.DType), (int)n, Cublas.Compute32F, Cublas.GemmDefault),
            "cublasGemmEx", () => $"M={m} N={n} K={k} x {x.DType} W {weight.DType} y {y.DType}");
        if (bias is not null) AddBias(y, bias, m, n);
    }
}
