// Softmax on CUDA (Kernels/softmax.cu): one block per row, max-shifted, fp32.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// y[r, i] = exp(x[r, i] − max_r) / Σ_j exp(x[r, j] − max_r) over the last dim. x, y [R, N] of one float dtype and
    /// shape (leading dims fold into R; y may alias x). A row holding NaN gives all NaN, as on the CPU backend.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void Softmax(Tensor x, Tensor y)
    {
        OnDevice(x, y);
        TensorCheck.IsFloat(x, nameof(x));
        TensorCheck.Is(y, x.DType, nameof(y));
        if (x.Shape.Rank < 1)
            throw new ArgumentException($"x has shape {x.Shape}, expected rank ≥ 1", nameof(x));
        TensorCheck.SameShape(x, y, nameof(x), nameof(y));
        long rows = x.Shape.Rows, cols = x.Shape.LastDim;
        if (rows == 0 || cols == 0) return;
        if (cols > int.MaxValue)
            throw new ArgumentException($"x {x.Shape} has rows longer than one kernel index covers", nameof(x));
        var args = new KernelArgs().Add(x).Add(y).Add((int)cols);
        Launch($"dyc_softmax_{Suffix(x.DType)}", RowGrid(rows, x, nameof(x)), RowBlockSize(cols), args);
    }
}
