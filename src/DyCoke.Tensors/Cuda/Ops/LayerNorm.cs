// LayerNorm on CUDA (Kernels/layer_norm.cu): one block per row, fp32 two-pass statistics.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// y = (x − mean) / sqrt(var + eps) · w + b over the last dim, var the biased variance. x, y [R, C] of one float dtype
    /// (y may alias x); w, b [C] of the same dtype.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y)
    {
        OnDevice(x, weight, bias, y);
        CheckRowOp(x, weight, y);
        TensorCheck.Is(bias, x.DType, nameof(bias));
        TensorCheck.ShapeIs(bias, weight.Shape, nameof(bias));
        long rows = x.Shape.Rows, cols = x.Shape.LastDim;
        if (rows == 0 || cols == 0) return;
        var args = new KernelArgs().Add(x).Add(weight).Add(bias).Add(y).Add((int)cols).Add(eps);
        Launch($"dyc_layer_norm_{Suffix(x.DType)}", RowGrid(rows, x, nameof(x)), RowBlockSize(cols), args);
    }
}
