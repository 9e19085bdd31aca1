// ArgMax on CUDA (Kernels/argmax.cu): one block per row, a two-level (warp, then block) minimum over ordering keys.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// indices[r] = the first index of the largest value of x[r, :]. x [R, N] F32/F16/BF16 (leading dims fold into R,
    /// N ≥ 1); indices I32 [R]. NaN ranks above everything (the first NaN wins, as torch.argmax); −0 and +0 are equal.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape, or empty rows.</exception>
    public void ArgMax(Tensor x, Tensor indices)
    {
        OnDevice(x, indices);
        TensorCheck.IsFloat(x, nameof(x));
        TensorCheck.Is(indices, DType.I32, nameof(indices));
        if (x.Shape.Rank < 1 || (x.Shape.LastDim == 0 && x.Shape.Rows > 0))
            throw new ArgumentException($"x has shape {x.Shape}, expected [R, N] with N ≥ 1", nameof(x));
        TensorCheck.ShapeIs(indices, new Shape(x.Shape.Rows), nameof(indices));
        long rows = x.Shape.Rows, cols = x.Shape.LastDim;
        if (rows == 0) return;
        if (cols > int.MaxValue)
            throw new ArgumentException($"x {x.Shape} has rows longer than one kernel index covers", nameof(x));
        var args = new KernelArgs().Add(x).Add(indices).Add((int)cols);
        Launch($"dyc_argmax_{Suffix(x.DType)}", RowGrid(rows, x, nameof(x)), RowBlockSize(cols), args);
    }
}
