// SiluMul on CUDA (Kernels/silu_mul.cu): one grid-stride launch over the outputs.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// y[r, i] = silu(gateUp[r, i]) · gateUp[r, I + i], silu(g) = g·sigmoid(g). gateUp [R, 2I] (leading dims fold into R),
    /// y [R, I] with the same leading dims and dtype (F32, F16 or BF16).
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void SiluMul(Tensor gateUp, Tensor y)
    {
        OnDevice(gateUp, y);
        TensorCheck.IsFloat(gateUp, nameof(gateUp));
        TensorCheck.Is(y, gateUp.DType, nameof(y));
        if (gateUp.Shape.Rank < 1 || gateUp.Shape.LastDim % 2 != 0)
            throw new ArgumentException($"gateUp has shape {gateUp.Shape}, expected [R, 2I] with an even last dimension", nameof(gateUp));
        TensorCheck.ShapeIs(y, gateUp.Shape.WithDim(-1, gateUp.Shape.LastDim / 2), nameof(y));

        long inter = y.Shape.LastDim, n = y.NumElements; // I; n = R·I
        if (n == 0) return;
        if (inter > int.MaxValue)
            throw new ArgumentException($"y {y.Shape} has rows longer than one kernel index covers", nameof(y));
        var args = new KernelArgs().Add(gateUp).Add(y).Add(n).Add((int)inter);
        Launch($"dyc_silu_mul_{Suffix(y.DType)}", ElementwiseGrid(n), ElementwiseBlock, args);
    }
}
