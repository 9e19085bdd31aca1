// RmsNorm and fused AddRmsNorm on CUDA (kernels in Kernels/rms_norm.cu): one block per row.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Threads per row block: enough to keep 8-element strides coalesced for C up to a few thousand.</summary>
    private static int RowBlockSize(long cols) => (int)Math.Clamp((cols + 31) / 32 * 32, 32, 1024);

    public void RmsNorm(Tensor x, Tensor weight, float eps, Tensor y)
    {
        OnDevice(x, weight, y);
        CheckRowOp(x, weight, y);
        var args = new KernelArgs().Add(x).Add(weight).Add(y).Add((int)x.Shape.LastDim).Add(eps);
        Launch($"dyc_rms_norm_{Suffix(x.DType)}", (uint)x.Shape.Rows, RowBlockSize(x.Shape.LastDim), args);
    }

    public void AddRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps, Tensor y)
    {
        OnDevice(x, residual, weight, y);
        CheckRowOp(x, weight, y);
        TensorCheck.SameShape(x, residual, nameof(x), nameof(residual));
        TensorCheck.Is(residual, x.DType, nameof(residual));
        var args = new KernelArgs().Add(x).Add(residual).Add(weight).Add(y).Add((int)x.Shape.LastDim).Add(eps);
        Launch($"dyc_add_rms_norm_{Suffix(x.DType)}", (uint)x.Shape.Rows, RowBlockSize(x.Shape.LastDim), args);
    }

    // The kernels read weight with the activation's storage type, so the two must match on the GPU.
    private static void CheckRowOp(Tensor x, Tensor weight, Tensor y)
    {
        TensorCheck.SameShape(x, y, nameof(x), nameof(y));
        TensorCheck.Is(y, x.DType, nameof(y));
        TensorCheck.Is(weight, x.DType, nameof(weight));
        TensorCheck.ShapeIs(weight, new Shape(x.Shape.LastDim), nameof(weight));
    }
}
