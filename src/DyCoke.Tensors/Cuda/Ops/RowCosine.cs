// RowCosine on CUDA (Kernels/row_cosine.cu): one block per row pair.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// out[r] = a[r]·b[r] / max(‖a[r]‖·‖b[r]‖, 1e-8) (the eps clamps the norm product, as the CPU backend does; a zero
    /// row gives 0). a, b [R, C] of one float dtype and shape (leading dims fold into R); out F32 [R].
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void RowCosine(Tensor a, Tensor b, Tensor output)
    {
        OnDevice(a, b, output);
        TensorCheck.IsFloat(a, nameof(a));
        TensorCheck.Is(b, a.DType, nameof(b));
        TensorCheck.Is(output, DType.F32, nameof(output));
        if (a.Shape.Rank < 1)
            throw new ArgumentException($"a has shape {a.Shape}, expected rank ≥ 1", nameof(a));
        TensorCheck.SameShape(a, b, nameof(a), nameof(b));
        TensorCheck.ShapeIs(output, new Shape(a.Shape.Rows), nameof(output));
        long rows = a.Shape.Rows, cols = a.Shape.LastDim;
        if (rows == 0) return;
        if (cols > int.MaxValue)
            throw new ArgumentException($"a {a.Shape} has rows longer than one kernel index covers", nameof(a));
        var args = new KernelArgs().Add(a).Add(b).Add(output).Add((int)cols);
        Launch($"dyc_row_cosine_{Suffix(a.DType)}", RowGrid(rows, a, nameof(a)), RowBlockSize(cols), args);
    }
}
